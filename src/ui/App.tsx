export function App() {
  return <main><h1>CapVector Workbench</h1></main>;
}
