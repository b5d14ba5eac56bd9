;; The combine for every input-dtype mix the specialised kernels of combine.wat do not take (a bf16 θ_pre
;; with float32 finetunes, LeRobot's π0 files mixing float32 norms into bf16, bf16 or f16 into float32,
;; several terms on f16 or f32): base + sc·Σ_j w_j·(a_j − b_j) in float64, in the reference's order
;; (acc = w_0·(a_0 − b_0), acc = acc + w_j·(a_j − b_j), v = base + sc·acc), then Veltkamp's split
;; t = v·c, r = t − (t − v) rounding v to the output's precision (c = 1 for float32 output), demoted to
;; float32. That is exactly the block S that kernels/combine/combine.cpu.ts's JavaScript loops make;
;; the caller writes it into the output words with writeFastBlock, which judges the fast range and
;; hands the block to the generic path when a value leaves it (NaN, ±Inf, subnormal, overflow).
;;
;; The 16-bit inputs are first widened exactly to float32 words (`widen`: kind 1 bfloat16, 2 IEEE half),
;; so the combine itself reads float32 words only. Term j is a record at ptab + 16j: a (i32), b (i32),
;; w (f64); a missing b points at +0.0 float32 words, a missing base at −0.0 words (a − (+0) = a and
;; −0 + x = x for every x, signed zeros too). Output: n float32 words at po. n is a multiple of 4; k ≥ 1.
(module
  (memory (export "memory") 1)

  ;; float32 lanes of elements i..i+3 of the region at p, read in its dtype
  (func $load4 (param $p i32) (param $kind i32) (param $i i32) (result v128)
    (local $u v128) (local $m v128)
    (if (i32.eqz (local.get $kind))
      (then (return (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))))
    (local.set $u (v128.load16x4_u (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1)))))
    ;; bfloat16: the top half of a float32
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (return (i32x4.shl (local.get $u) (i32.const 16)))))
    ;; half: normal rebiased (exponent + 112), Inf/NaN to exponent 255 (payload kept), subnormals and ±0
    ;; as m·2^-24 (exact); the sign put back
    (local.set $m (v128.and (local.get $u) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
    (v128.or
      (i32x4.shl (v128.and (local.get $u) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))
      (v128.bitselect
        (f32x4.mul (f32x4.convert_i32x4_u (local.get $m)) (f32x4.splat (f32.const 0x1p-24)))
        (i32x4.add (i32x4.shl (local.get $m) (i32.const 13))
          (v128.bitselect
            (v128.const i32x4 0x70000000 0x70000000 0x70000000 0x70000000)
            (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000)
            (i32x4.ge_s (local.get $m) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        (i32x4.lt_s (local.get $m) (v128.const i32x4 0x400 0x400 0x400 0x400)))))

  ;; widen(src, kind, dst, n): n words of `kind` at src as float32 words at dst (exact)
  (func (export "widen") (param $src i32) (param $kind i32) (param $dst i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (call $load4 (local.get $src) (local.get $kind) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; $bf16 = 0: the rounded values as float32 words at po (result 1). $bf16 = 1 (bfloat16 output): their top
  ;; halves, the bfloat16 words, at po, and the result says whether every value was in the fast range
  ;; (exponent 1..254 or ±0, judged as combine.wat's combine_bf16 and writeFastBlock do); 0: redo the block.
  (func (export "combine_mixed")
    (param $pbase i32) (param $ptab i32) (param $k i32) (param $po i32) (param $n i32)
    (param $sc f64) (param $c f64) (param $bf16 i32) (result i32)
    (local $i i32) (local $at i32) (local $j i32) (local $rec i32) (local $q v128) (local $ax v128) (local $flag v128)
    (local $vsc v128) (local $vc v128) (local $w v128) (local $x v128) (local $y v128)
    (local $slo v128) (local $shi v128) (local $dlo v128) (local $dhi v128) (local $acclo v128) (local $acchi v128)
    (local $v v128) (local $t v128) (local $rlo v128) (local $rhi v128)
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $x (v128.load (i32.add (local.get $pbase) (local.get $at))))
        (local.set $slo (f64x2.promote_low_f32x4 (local.get $x)))
        (local.set $shi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x))))
        (local.set $j (i32.const 0))
        (loop $term
          (local.set $rec (i32.add (local.get $ptab) (i32.shl (local.get $j) (i32.const 4))))
          (local.set $w (f64x2.splat (f64.load offset=8 (local.get $rec))))
          (local.set $x (v128.load (i32.add (i32.load offset=0 (local.get $rec)) (local.get $at))))
          (local.set $y (v128.load (i32.add (i32.load offset=4 (local.get $rec)) (local.get $at))))
          (local.set $dlo (f64x2.mul (local.get $w)
            (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $y)))))
          (local.set $dhi (f64x2.mul (local.get $w)
            (f64x2.sub
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $y) (local.get $y))))))
          (if (i32.eqz (local.get $j))
            (then
              (local.set $acclo (local.get $dlo))
              (local.set $acchi (local.get $dhi)))
            (else
              (local.set $acclo (f64x2.add (local.get $acclo) (local.get $dlo)))
              (local.set $acchi (f64x2.add (local.get $acchi) (local.get $dhi)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $term (i32.lt_u (local.get $j) (local.get $k))))
        ;; v = base + sc·acc, rounded to the output's precision (Veltkamp), demoted to float32
        (local.set $v (f64x2.add (local.get $slo) (f64x2.mul (local.get $vsc) (local.get $acclo))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $rlo (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $v (f64x2.add (local.get $shi) (f64x2.mul (local.get $vsc) (local.get $acchi))))
        (local.set $t (f64x2.mul (local.get $v) (local.get $vc)))
        (local.set $rhi (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $v)))))
        (local.set $q (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $rlo) (local.get $rhi)))
        (if (local.get $bf16)
          (then
            ;; fast range: x = |bits|; (x + 2^23) | ((x − 2^23) & −x) is negative for exponent 255 and nonzero subnormals
            (local.set $ax (v128.and (local.get $q) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
            (local.set $flag (v128.or (local.get $flag)
              (v128.or
                (i32x4.add (local.get $ax) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
                (v128.and (i32x4.sub (local.get $ax) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $ax))))))
            (v128.store64_lane 0 (i32.add (local.get $po) (i32.shl (local.get $i) (i32.const 1)))
              (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $q) (i32.const 16)) (i32x4.shr_u (local.get $q) (i32.const 16)))))
          (else (v128.store (i32.add (local.get $po) (local.get $at)) (local.get $q))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (i32.eqz (i32x4.bitmask (local.get $flag))))
)
