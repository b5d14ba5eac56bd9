;; TIES per element (kernels/ties/ties.ref.ts's tiesRef: trim, elect sign, disjoint merge) for the CPU
;; engine, two float64 lanes at a time and without a single data-dependent branch: the decisions are
;; lane masks, the sums add the masked values in the reference's term order. Where the reference skips
;; an addition this adds +0, which changes nothing it keeps: the mass only decides NaN and a sign against
;; −2^-126, and the merged sum and weight sum never hold −0 (they start at +0 and only agreeing, non-zero
;; terms count). So the values are the reference's, bit for bit; the engine's tests compare them.
;;
;; ties(pbase, ptau, k, pw, pthr, keepAll, lambda, normalize, pout, m, ps, pk): element i of term j is at
;; ptau + j·R + 8i (R = 16384, one 2048-element block), its weight w_j a float64 at pw + 8j, its
;; threshold a float32 at pthr + 4j (unused when keepAll); ps, pk: scratch for the k scaled terms and
;; kept masks. Writes v = base + λ·merged (NaN where the mass is NaN) as float64 at pout, for m rounded
;; up to even (the extra lane is the caller's to ignore).
(module
  (memory (export "memory") 16)
  (func (export "ties")
    (param $pbase i32) (param $ptau i32) (param $k i32) (param $pw i32) (param $pthr i32) (param $keepAll i32)
    (param $lambda f64) (param $normalize i32) (param $pout i32) (param $m i32) (param $ps i32) (param $pk i32)
    (local $i i32) (local $end i32) (local $j i32) (local $o i32)
    (local $t v128) (local $s v128) (local $kept v128) (local $mass v128) (local $pos v128) (local $agree v128)
    (local $merged v128) (local $wsum v128) (local $w v128) (local $tiny v128) (local $v v128)
    (local.set $tiny (f64x2.splat (f64.const 0x1p-126)))
    (local.set $end (i32.shl (i32.and (i32.add (local.get $m) (i32.const 1)) (i32.const -2)) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; pass over the terms: τ and w·τ flushed below 2^-126, kept masks, mass
        (local.set $mass (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $tdone
          (loop $term
            (br_if $tdone (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $o (i32.add (i32.shl (local.get $j) (i32.const 14)) (local.get $i)))
            (local.set $t (v128.load (i32.add (local.get $ptau) (local.get $o))))
            (local.set $t (v128.andnot (local.get $t) (f64x2.lt (f64x2.abs (local.get $t)) (local.get $tiny))))
            ;; kept: keepAll, or NaN, or f32(|τ|) ≥ f32(threshold)
            (local.set $kept
              (if (result v128) (local.get $keepAll)
                (then (v128.const i64x2 -1 -1))
                (else
                  (v128.or
                    (f64x2.ne (local.get $t) (local.get $t))
                    (i64x2.extend_low_i32x4_s
                      (f32x4.ge (f32x4.demote_f64x2_zero (f64x2.abs (local.get $t)))
                                (f32x4.splat (f32.load (i32.add (local.get $pthr) (i32.shl (local.get $j) (i32.const 2)))))))))))
            (local.set $s (f64x2.mul (f64x2.splat (f64.load (i32.add (local.get $pw) (i32.shl (local.get $j) (i32.const 3))))) (local.get $t)))
            (local.set $s (v128.andnot (local.get $s) (f64x2.lt (f64x2.abs (local.get $s)) (local.get $tiny))))
            (v128.store (i32.add (local.get $ps) (local.get $o)) (local.get $s))
            (v128.store (i32.add (local.get $pk) (local.get $o)) (local.get $kept))
            (local.set $mass (f64x2.add (local.get $mass) (v128.and (local.get $s) (local.get $kept))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $term)))
        ;; elected sign: + where mass > −2^-126 (a zero mass elects +)
        (local.set $pos (f64x2.gt (local.get $mass) (f64x2.neg (local.get $tiny))))
        (local.set $merged (v128.const i64x2 0 0))
        (local.set $wsum (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $adone
          (loop $agree_loop
            (br_if $adone (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $o (i32.add (i32.shl (local.get $j) (i32.const 14)) (local.get $i)))
            (local.set $s (v128.load (i32.add (local.get $ps) (local.get $o))))
            (local.set $agree (v128.and (v128.load (i32.add (local.get $pk) (local.get $o)))
              (v128.bitselect
                (f64x2.gt (local.get $s) (v128.const i64x2 0 0))
                (f64x2.lt (local.get $s) (v128.const i64x2 0 0))
                (local.get $pos))))
            (local.set $w (f64x2.splat (f64.load (i32.add (local.get $pw) (i32.shl (local.get $j) (i32.const 3))))))
            (local.set $merged (f64x2.add (local.get $merged) (v128.and (local.get $s) (local.get $agree))))
            (local.set $wsum (f64x2.add (local.get $wsum) (v128.and (local.get $w) (local.get $agree))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $agree_loop)))
        ;; normalize: merged / (wsum = 0 ? 1 : wsum)
        (if (local.get $normalize)
          (then
            (local.set $merged (f64x2.div (local.get $merged)
              (v128.bitselect (f64x2.splat (f64.const 1)) (local.get $wsum) (f64x2.eq (local.get $wsum) (v128.const i64x2 0 0)))))))
        (local.set $v (f64x2.add (v128.load (i32.add (local.get $pbase) (local.get $i)))
          (f64x2.mul (f64x2.splat (local.get $lambda)) (local.get $merged))))
        ;; a NaN mass poisons the element
        (v128.store (i32.add (local.get $pout) (local.get $i))
          (v128.bitselect (f64x2.splat (f64.const nan)) (local.get $v) (f64x2.ne (local.get $mass) (local.get $mass))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
)
