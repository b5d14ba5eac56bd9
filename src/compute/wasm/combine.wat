;; One-term combine, WebAssembly SIMD: o = s + sc·(w·(a − b)) rounded ONCE to the output dtype.
;; combine_bf16: bfloat16 inputs and output (below); combine_f32, combine_bf16_terms and combine_f16 after it.
;;
;; The same arithmetic, in the same order and precision, as kernels/combine/combine.cpu.ts's base16Diff (and so as
;; kernels/combine/combine.ref.ts): each bf16 decoded exactly (it is the top half of a float32, then
;; promoted to float64), the formula in float64, Veltkamp's split t = v·c, r = t − (t − v) rounding v to
;; bf16's 8 significant bits (ties to even), r demoted to float32 (exact in the fast range) and its top
;; half stored. The caller passes -0.0 words for a missing base (−0 + x = x for every x, signed zeros
;; too) and +0.0 words for a missing b (a − (+0) = a).
;;
;; Like writeFastBlock, the kernel judges from the float32 bits whether every value was in the fast
;; range (exponent field 1..254, or ±0) and returns 0 when one was not: NaN, ±Inf, subnormal results
;; and overflow are then redone by the JavaScript path, which patches them one by one.
;;
;; Pointers are byte offsets into the exported memory; n is a multiple of 8 (the caller does the tail).
(module
  (memory (export "memory") 4)
  (func (export "combine_bf16")
    (param $ps i32) (param $pa i32) (param $pb i32) (param $po i32) (param $n i32)
    (param $w f64) (param $sc f64) (param $c f64) (result i32)
    (local $i i32) (local $end i32)
    (local $vw v128) (local $vsc v128) (local $vc v128) (local $flag v128)
    (local $xs v128) (local $xa v128) (local $xb v128) (local $l v128) (local $h v128)
    (local $v v128) (local $t v128) (local $q0 v128) (local $q1 v128) (local $x v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xs (v128.load (i32.add (local.get $ps) (local.get $i))))
        (local.set $xa (v128.load (i32.add (local.get $pa) (local.get $i))))
        (local.set $xb (v128.load (i32.add (local.get $pb) (local.get $i))))
        ;; decode: each bf16 word into the top half of a float32 lane (interleaving with zero words,
        ;; one unpack instruction), then float32 pairs promoted to float64 (exact)
        (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xs)))
        (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xs)))
        (local.set $s0 (f64x2.promote_low_f32x4 (local.get $l)))
        (local.set $s1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
        (local.set $s2 (f64x2.promote_low_f32x4 (local.get $h)))
        (local.set $s3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
        (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xa)))
        (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xa)))
        (local.set $a0 (f64x2.promote_low_f32x4 (local.get $l)))
        (local.set $a1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
        (local.set $a2 (f64x2.promote_low_f32x4 (local.get $h)))
        (local.set $a3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
        (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xb)))
        (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xb)))
        (local.set $b0 (f64x2.promote_low_f32x4 (local.get $l)))
        (local.set $b1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
        (local.set $b2 (f64x2.promote_low_f32x4 (local.get $h)))
        (local.set $b3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
        ;; v = s + sc·(w·(a − b)) in float64, rounded to 8 significant bits (Veltkamp), demoted to float32
        (local.set $v (f64x2.add (local.get $s0) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a0) (local.get $b0))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r0 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s1) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a1) (local.get $b1))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r1 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s2) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a2) (local.get $b2))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r2 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s3) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a3) (local.get $b3))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r3 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        ;; the eight rounded values as float32 lanes
        (local.set $q0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r2) (local.get $r3)))
        ;; fast range, as extractBF16Checked: x = |bits|; (x + 2^23) | ((x − 2^23) & −x) is negative
        ;; for exponent 255 (Inf, NaN) and for nonzero subnormals
        (local.set $x (v128.and (local.get $q0) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $flag (v128.or (local.get $flag)
          (v128.or
            (i32x4.add (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
            (v128.and (i32x4.sub (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $x))))))
        (local.set $x (v128.and (local.get $q1) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $flag (v128.or (local.get $flag)
          (v128.or
            (i32x4.add (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
            (v128.and (i32x4.sub (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $x))))))
        ;; the top half of each float32 lane is the bf16 word: shift down, pack to 16 bits
        (v128.store (i32.add (local.get $po) (local.get $i))
          (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $q0) (i32.const 16)) (i32x4.shr_u (local.get $q1) (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (i32.eqz (i32x4.bitmask (local.get $flag))))

  ;; combine_f32(ps, pa, pb, po, n, w, sc): float32 inputs promoted to float64 (exact), the same formula,
  ;; demoted to float32 (IEEE round to nearest even: the one rounding, subnormals and overflow to ±Inf
  ;; included); NaN written as the canonical 0x7fc00000 like the JavaScript path. Nothing to hand back.
  ;; n is a multiple of 4; a missing base is −0.0 words, a missing b +0.0 words, as above.
  (func (export "combine_f32")
    (param $s i32) (param $a i32) (param $b i32) (param $o i32) (param $n i32) (param $w f64) (param $sc f64)
    (local $i i32) (local $end i32) (local $vw v128) (local $vsc v128)
    (local $xs v128) (local $xa v128) (local $xb v128) (local $lo v128) (local $hi v128) (local $r v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xs (v128.load (i32.add (local.get $s) (local.get $i))))
        (local.set $xa (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $xb (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $lo
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $xs))
            (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw)
              (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xa)) (f64x2.promote_low_f32x4 (local.get $xb)))))))
        (local.set $xs (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xs) (local.get $xs)))
        (local.set $xa (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xa) (local.get $xa)))
        (local.set $xb (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xb) (local.get $xb)))
        (local.set $hi
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $xs))
            (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw)
              (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xa)) (f64x2.promote_low_f32x4 (local.get $xb)))))))
        (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.bitselect (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000) (local.get $r) (f32x4.ne (local.get $r) (local.get $r))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; combine_bf16_terms(pbase, ptab, k, po, n, sc, c): several terms (task arithmetic, linear) on bfloat16
  ;; words into bfloat16, as kernels/combine/combine.cpu.ts's terms16: acc = w_0·(a_0 − b_0), acc = acc + w_j·(a_j − b_j)
  ;; for j = 1..k−1 (the reference's order), v = base + sc·acc, rounded once as combine_bf16 does, with
  ;; the same fast-range verdict. Term j is a record at ptab + 16j: pointer to a (i32), pointer to b
  ;; (i32; +0.0 words for a missing b), w (f64). k ≥ 1, n a multiple of 8.
  (func (export "combine_bf16_terms")
    (param $pbase i32) (param $ptab i32) (param $k i32) (param $po i32) (param $n i32) (param $sc f64) (param $c f64) (result i32)
    (local $i i32) (local $end i32) (local $j i32) (local $rec i32)
    (local $vsc v128) (local $vc v128) (local $w v128) (local $flag v128) (local $xw v128) (local $l v128) (local $h v128)
    (local $v v128) (local $t v128) (local $q0 v128) (local $q1 v128) (local $x v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xw (v128.load (i32.add (local.get $pbase) (local.get $i))))
        (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xw)))
        (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xw)))
        (local.set $s0 (f64x2.promote_low_f32x4 (local.get $l)))
        (local.set $s1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
        (local.set $s2 (f64x2.promote_low_f32x4 (local.get $h)))
        (local.set $s3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
        ;; the terms, in order
        (local.set $j (i32.const 0))
        (loop $term
          (local.set $rec (i32.add (local.get $ptab) (i32.shl (local.get $j) (i32.const 4))))
          (local.set $w (f64x2.splat (f64.load offset=8 (local.get $rec))))
          (local.set $xw (v128.load (i32.add (i32.load offset=0 (local.get $rec)) (local.get $i))))
            (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xw)))
            (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xw)))
            (local.set $a0 (f64x2.promote_low_f32x4 (local.get $l)))
            (local.set $a1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
            (local.set $a2 (f64x2.promote_low_f32x4 (local.get $h)))
            (local.set $a3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
          (local.set $xw (v128.load (i32.add (i32.load offset=4 (local.get $rec)) (local.get $i))))
            (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $xw)))
            (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $xw)))
            (local.set $b0 (f64x2.promote_low_f32x4 (local.get $l)))
            (local.set $b1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
            (local.set $b2 (f64x2.promote_low_f32x4 (local.get $h)))
            (local.set $b3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
          (if (i32.eqz (local.get $j))
            (then
            (local.set $acc0 (f64x2.mul (local.get $w) (f64x2.sub (local.get $a0) (local.get $b0))))
            (local.set $acc1 (f64x2.mul (local.get $w) (f64x2.sub (local.get $a1) (local.get $b1))))
            (local.set $acc2 (f64x2.mul (local.get $w) (f64x2.sub (local.get $a2) (local.get $b2))))
            (local.set $acc3 (f64x2.mul (local.get $w) (f64x2.sub (local.get $a3) (local.get $b3)))))
            (else
            (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $w) (f64x2.sub (local.get $a0) (local.get $b0)))))
            (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $w) (f64x2.sub (local.get $a1) (local.get $b1)))))
            (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (local.get $w) (f64x2.sub (local.get $a2) (local.get $b2)))))
            (local.set $acc3 (f64x2.add (local.get $acc3) (f64x2.mul (local.get $w) (f64x2.sub (local.get $a3) (local.get $b3)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $term (i32.lt_u (local.get $j) (local.get $k))))
        (local.set $v (f64x2.add (local.get $s0) (f64x2.mul (local.get $vsc) (local.get $acc0))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r0 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s1) (f64x2.mul (local.get $vsc) (local.get $acc1))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r1 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s2) (f64x2.mul (local.get $vsc) (local.get $acc2))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r2 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $s3) (f64x2.mul (local.get $vsc) (local.get $acc3))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $r3 (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $x (v128.and (local.get $q0) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $flag (v128.or (local.get $flag)
          (v128.or
            (i32x4.add (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
            (v128.and (i32x4.sub (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $x))))))
        (local.set $x (v128.and (local.get $q1) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $flag (v128.or (local.get $flag)
          (v128.or
            (i32x4.add (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
            (v128.and (i32x4.sub (local.get $x) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $x))))))
        (v128.store (i32.add (local.get $po) (local.get $i))
          (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $q0) (i32.const 16)) (i32x4.shr_u (local.get $q1) (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (i32.eqz (i32x4.bitmask (local.get $flag))))

  ;; combine_f16(ps, pa, pb, po, n, w, sc, c): IEEE half inputs and output, one term: inputs decoded
  ;; exactly (subnormals too), the float64 formula of combine_bf16, rounded once — to 11 significant bits
  ;; (Veltkamp, c = 2^42 + 1) in half's normal range, to multiples of 2^-24 below it — then encoded as
  ;; half bits. Inf/NaN inputs and results of 65504 and more make it return 0 (the JavaScript path redoes
  ;; the block). n is a multiple of 8; a missing base is −0.0 words, a missing b +0.0 words.
  (func (export "combine_f16")
    (param $ps i32) (param $pa i32) (param $pb i32) (param $po i32) (param $n i32)
    (param $w f64) (param $sc f64) (param $c f64) (result i32)
    (local $i i32) (local $end i32)
    (local $vw v128) (local $vsc v128) (local $vc v128) (local $big v128) (local $flag v128)
    (local $xs v128) (local $xa v128) (local $xb v128) (local $u v128) (local $m v128) (local $f v128)
    (local $v v128) (local $t v128) (local $q0 v128) (local $q1 v128) (local $x v128) (local $o0 v128) (local $o1 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $big (f64x2.splat (f64.const 0x1.8p28)))
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xs (v128.load (i32.add (local.get $ps) (local.get $i))))
        (local.set $xa (v128.load (i32.add (local.get $pa) (local.get $i))))
        (local.set $xb (v128.load (i32.add (local.get $pb) (local.get $i))))
        (local.set $u (i32x4.extend_low_i16x8_u (local.get $xs)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $s0 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $s1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $u (i32x4.extend_high_i16x8_u (local.get $xs)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $s2 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $s3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $u (i32x4.extend_low_i16x8_u (local.get $xa)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $a0 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $a1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $u (i32x4.extend_high_i16x8_u (local.get $xa)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $a2 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $a3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $u (i32x4.extend_low_i16x8_u (local.get $xb)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $b0 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $b1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $u (i32x4.extend_high_i16x8_u (local.get $xb)))
        (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        ;; Inf/NaN (m ≥ 0x7c00): the JavaScript path does the block
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        ;; float32 bits of |h|: normal halves rebiased (exponent + 112); subnormals and ±0 as m·2^-24 (exact)
        (local.set $f (v128.or
          (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
          (v128.bitselect
            (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
            (i32x4.add (i32x4.shl (local.get $m) (i32.const 13)) (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
            (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))
        (local.set $b2 (f64x2.promote_low_f32x4 (local.get $f)))
        (local.set $b3 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $f) (local.get $f))))
        (local.set $v (f64x2.add (local.get $s0) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a0) (local.get $b0))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        ;; |v| < 2^-14: half's subnormal grid, multiples of 2^-24, by (|v| + 1.5·2^28) − 1.5·2^28 (one
        ;; rounding), v's sign put back (a tiny negative v rounds to −0)
        (local.set $r0 (f32x4.demote_f64x2_zero (v128.bitselect
          (v128.or (f64x2.sub (f64x2.add (f64x2.abs (local.get $v)) (local.get $big)) (local.get $big))
            (v128.and (local.get $v) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
          (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))
          (f64x2.lt (f64x2.abs (local.get $v)) (f64x2.splat (f64.const 0x1p-14))))))
        (local.set $v (f64x2.add (local.get $s1) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a1) (local.get $b1))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        ;; |v| < 2^-14: half's subnormal grid, multiples of 2^-24, by (|v| + 1.5·2^28) − 1.5·2^28 (one
        ;; rounding), v's sign put back (a tiny negative v rounds to −0)
        (local.set $r1 (f32x4.demote_f64x2_zero (v128.bitselect
          (v128.or (f64x2.sub (f64x2.add (f64x2.abs (local.get $v)) (local.get $big)) (local.get $big))
            (v128.and (local.get $v) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
          (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))
          (f64x2.lt (f64x2.abs (local.get $v)) (f64x2.splat (f64.const 0x1p-14))))))
        (local.set $v (f64x2.add (local.get $s2) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a2) (local.get $b2))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        ;; |v| < 2^-14: half's subnormal grid, multiples of 2^-24, by (|v| + 1.5·2^28) − 1.5·2^28 (one
        ;; rounding), v's sign put back (a tiny negative v rounds to −0)
        (local.set $r2 (f32x4.demote_f64x2_zero (v128.bitselect
          (v128.or (f64x2.sub (f64x2.add (f64x2.abs (local.get $v)) (local.get $big)) (local.get $big))
            (v128.and (local.get $v) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
          (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))
          (f64x2.lt (f64x2.abs (local.get $v)) (f64x2.splat (f64.const 0x1p-14))))))
        (local.set $v (f64x2.add (local.get $s3) (f64x2.mul (local.get $vsc) (f64x2.mul (local.get $vw) (f64x2.sub (local.get $a3) (local.get $b3))))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        ;; |v| < 2^-14: half's subnormal grid, multiples of 2^-24, by (|v| + 1.5·2^28) − 1.5·2^28 (one
        ;; rounding), v's sign put back (a tiny negative v rounds to −0)
        (local.set $r3 (f32x4.demote_f64x2_zero (v128.bitselect
          (v128.or (f64x2.sub (f64x2.add (f64x2.abs (local.get $v)) (local.get $big)) (local.get $big))
            (v128.and (local.get $v) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
          (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))
          (f64x2.lt (f64x2.abs (local.get $v)) (f64x2.splat (f64.const 0x1p-14))))))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $x (v128.and (local.get $q0) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        ;; 65504 and above (and NaN, Inf): the JavaScript path
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $x) (v128.const i32x4 0x477fe000 0x477fe000 0x477fe000 0x477fe000))))
        ;; half bits: sign | normal: (bits >> 13) − 0x1c000; below 2^-14: |r|·2^24 (an integer up to 1024)
        (local.set $o0 (v128.or
          (v128.and (i32x4.shr_u (local.get $q0) (i32.const 16)) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
          (v128.bitselect
            (i32x4.trunc_sat_f32x4_u (f32x4.mul (f32x4.abs (local.get $q0)) (f32x4.splat (f32.const 0x1p24))))
            (v128.and (i32x4.sub (i32x4.shr_u (local.get $x) (i32.const 13)) (v128.const i32x4 0x1c000 0x1c000 0x1c000 0x1c000)) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
            (i32x4.lt_s (local.get $x) (v128.const i32x4 0x38800000 0x38800000 0x38800000 0x38800000)))))
        (local.set $x (v128.and (local.get $q1) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        ;; 65504 and above (and NaN, Inf): the JavaScript path
        (local.set $flag (v128.or (local.get $flag) (i32x4.ge_s (local.get $x) (v128.const i32x4 0x477fe000 0x477fe000 0x477fe000 0x477fe000))))
        ;; half bits: sign | normal: (bits >> 13) − 0x1c000; below 2^-14: |r|·2^24 (an integer up to 1024)
        (local.set $o1 (v128.or
          (v128.and (i32x4.shr_u (local.get $q1) (i32.const 16)) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
          (v128.bitselect
            (i32x4.trunc_sat_f32x4_u (f32x4.mul (f32x4.abs (local.get $q1)) (f32x4.splat (f32.const 0x1p24))))
            (v128.and (i32x4.sub (i32x4.shr_u (local.get $x) (i32.const 13)) (v128.const i32x4 0x1c000 0x1c000 0x1c000 0x1c000)) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
            (i32x4.lt_s (local.get $x) (v128.const i32x4 0x38800000 0x38800000 0x38800000 0x38800000)))))
        (v128.store (i32.add (local.get $po) (local.get $i)) (i16x8.narrow_i32x4_u (local.get $o0) (local.get $o1)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (i32.eqz (i32x4.bitmask (local.get $flag))))
)
