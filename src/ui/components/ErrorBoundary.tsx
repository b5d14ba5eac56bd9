import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * Keeps one failing panel from taking the app down: the panel shows its fault and a retry,
 * the rest of the workbench (and every loaded checkpoint) stays usable.
 */
export class ErrorBoundary extends Component<{ name: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`[${this.props.name}]`, error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="cv-alert">
        <p><strong>The {this.props.name} panel failed:</strong> {this.state.error.message}</p>
        <button type="button" className="cv-btn cv-btn-small" onClick={() => this.setState({ error: null })}>
          Retry {this.props.name}
        </button>
      </div>
    );
  }
}
