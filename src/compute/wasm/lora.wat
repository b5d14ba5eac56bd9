;; The CPU engine's lora op (kernels/lora/lora.cpu.ts) on float64 blocks, in the JavaScript loops' order,
;; two elements per f64x2 (no fused multiply-add: each product and sum is rounded as JavaScript rounds
;; it, so every element gets the same bits). The caller (wasm/lora.ts) puts the whole factors, decoded
;; to float64, in this memory, then per block copies each dense input's words in and calls:
;;   lora_widen    the words as float64 (exact)
;;   lora_terms    acc = w_0·(a_0 − b_0), acc = acc + w_j·(a_j − b_j) (no terms: acc = +0)
;;   per factor and row segment, lora_product: p = c_0·v_0, p = p + c_k·v_k for k = 1 … r − 1, ascending
;;   per factor, lora_fold: acc = w·p (no terms, first factor) or acc + w·p
;;   lora_finish   v = base + sc·acc (or sc·acc), kept in acc for a careful redo, and rounded to the
;;                 output's precision (Veltkamp: t = v·c, t − (t − v)) as float32 words, which the caller
;;                 writes with writeFastBlock, redoing the block from acc when a value leaves the fast range;
;;                 for bfloat16 output their top halves, the words, and whether all were in the fast range.
;; Term j is a record at ptab + 16j: a (i32), b (i32), w (f64); a missing b points at +0.0 words
;; (a − (+0) = a for every a, −0 and NaN included). The elementwise exports work on whole pairs (widen and
;; finish on fours): regions hold three float64 of padding, so an m that is not a multiple computes spare
;; lanes there (a spare lane out of the fast range only costs a redo).
;; lora_product, whose rows are the factors' own, stops at m with a scalar tail.
(module
  (memory (export "memory") 1)

  ;; float32 lanes of elements i..i+3 of the region at p, read in its kind (as combine-mixed.wat's $load4)
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

  ;; lora_widen(src, kind, dst, n): n words of `kind` (0 float32, 1 bfloat16, 2 half) at src as float64 at dst
  (func (export "lora_widen") (param $src i32) (param $kind i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $x v128) (local $q i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (call $load4 (local.get $src) (local.get $kind) (local.get $i)))
        (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store (local.get $q) (f64x2.promote_low_f32x4 (local.get $x)))
        (v128.store offset=16 (local.get $q)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  (func (export "lora_terms") (param $ptab i32) (param $k i32) (param $pacc i32) (param $m i32)
    (local $i i32) (local $at i32) (local $j i32) (local $rec i32) (local $acc v128) (local $d v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $at (i32.shl (local.get $i) (i32.const 3)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $end
          (loop $term
            (br_if $end (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $rec (i32.add (local.get $ptab) (i32.shl (local.get $j) (i32.const 4))))
            (local.set $d (f64x2.mul (f64x2.splat (f64.load offset=8 (local.get $rec)))
              (f64x2.sub
                (v128.load (i32.add (i32.load offset=0 (local.get $rec)) (local.get $at)))
                (v128.load (i32.add (i32.load offset=4 (local.get $rec)) (local.get $at))))))
            (local.set $acc (if (result v128) (local.get $j)
              (then (f64x2.add (local.get $acc) (local.get $d)))
              (else (local.get $d))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $term)))
        (v128.store (i32.add (local.get $pacc) (local.get $at)) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next))))

  ;; p[0 … m) = c·v[0 … m)
  (func $first (param $pv i32) (param $c f64) (param $pp i32) (param $m i32)
    (local $i i32) (local $vc v128)
    (local.set $vc (f64x2.splat (local.get $c)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
        (v128.store (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3)))
          (f64x2.mul (local.get $vc) (v128.load (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then (f64.store (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3)))
        (f64.mul (local.get $c) (f64.load (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3)))))))))

  ;; p = p + c·v over [0, m)
  (func $one (param $pv i32) (param $c f64) (param $pp i32) (param $m i32)
    (local $i i32) (local $vc v128) (local $q i32)
    (local.set $vc (f64x2.splat (local.get $c)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store (local.get $q)
          (f64x2.add (v128.load (local.get $q))
            (f64x2.mul (local.get $vc) (v128.load (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $q)
          (f64.add (f64.load (local.get $q))
            (f64.mul (local.get $c) (f64.load (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))))))))

  ;; four k at once, p kept in a register between them and still summed in ascending k (as JavaScript does)
  (func $four (param $pv i32) (param $s i32) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $c4 f64) (param $pp i32) (param $m i32)
    (local $i i32) (local $q i32) (local $v i32) (local $p v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128)
    (local $x f64)
    (local.set $d1 (f64x2.splat (local.get $c1)))
    (local.set $d2 (f64x2.splat (local.get $c2)))
    (local.set $d3 (f64x2.splat (local.get $c3)))
    (local.set $d4 (f64x2.splat (local.get $c4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $v (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $p (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $d1) (v128.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $p (f64x2.add (local.get $p) (f64x2.mul (local.get $d2) (v128.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $p (f64x2.add (local.get $p) (f64x2.mul (local.get $d3) (v128.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (v128.store (local.get $q) (f64x2.add (local.get $p) (f64x2.mul (local.get $d4) (v128.load (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $v (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $x (f64.add (f64.load (local.get $q)) (f64.mul (local.get $c1) (f64.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $x (f64.add (local.get $x) (f64.mul (local.get $c2) (f64.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $x (f64.add (local.get $x) (f64.mul (local.get $c3) (f64.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (f64.store (local.get $q) (f64.add (local.get $x) (f64.mul (local.get $c4) (f64.load (local.get $v))))))))

  ;; the first four k: p = c_1·v_1, then + c_2·v_2, + c_3·v_3, + c_4·v_4 (here c_1 … c_4 are k = 0 … 3)
  (func $first4 (param $pv i32) (param $s i32) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $c4 f64) (param $pp i32) (param $m i32)
    (local $i i32) (local $q i32) (local $v i32) (local $p v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128)
    (local $x f64)
    (local.set $d1 (f64x2.splat (local.get $c1)))
    (local.set $d2 (f64x2.splat (local.get $c2)))
    (local.set $d3 (f64x2.splat (local.get $c3)))
    (local.set $d4 (f64x2.splat (local.get $c4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $v (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $p (f64x2.mul (local.get $d1) (v128.load (local.get $v))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $p (f64x2.add (local.get $p) (f64x2.mul (local.get $d2) (v128.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $p (f64x2.add (local.get $p) (f64x2.mul (local.get $d3) (v128.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (v128.store (local.get $q) (f64x2.add (local.get $p) (f64x2.mul (local.get $d4) (v128.load (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then
        (local.set $q (i32.add (local.get $pp) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $v (i32.add (local.get $pv) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $x (f64.mul (local.get $c1) (f64.load (local.get $v))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $x (f64.add (local.get $x) (f64.mul (local.get $c2) (f64.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (local.set $x (f64.add (local.get $x) (f64.mul (local.get $c3) (f64.load (local.get $v)))))
        (local.set $v (i32.add (local.get $v) (local.get $s)))
        (f64.store (local.get $q) (f64.add (local.get $x) (f64.mul (local.get $c4) (f64.load (local.get $v))))))))

  ;; p[0 … m) = Σ_k c_k·v_k, k ascending: row k of the products at pv + k·vs, coefficient k at pc + k·cs
  (func (export "lora_product") (param $pv i32) (param $vs i32) (param $pc i32) (param $cs i32) (param $r i32) (param $pp i32) (param $m i32)
    (local $k i32)
    (if (i32.ge_s (local.get $r) (i32.const 4))
      (then
        (call $first4 (local.get $pv) (local.get $vs)
          (f64.load (local.get $pc))
          (f64.load (i32.add (local.get $pc) (local.get $cs)))
          (f64.load (i32.add (local.get $pc) (i32.shl (local.get $cs) (i32.const 1))))
          (f64.load (i32.add (local.get $pc) (i32.mul (local.get $cs) (i32.const 3))))
          (local.get $pp) (local.get $m))
        (local.set $k (i32.const 4)))
      (else
        (call $first (local.get $pv) (f64.load (local.get $pc)) (local.get $pp) (local.get $m))
        (local.set $k (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (i32.add (local.get $k) (i32.const 3)) (local.get $r)))
        (call $four
          (i32.add (local.get $pv) (i32.mul (local.get $k) (local.get $vs))) (local.get $vs)
          (f64.load (i32.add (local.get $pc) (i32.mul (local.get $k) (local.get $cs))))
          (f64.load (i32.add (local.get $pc) (i32.mul (i32.add (local.get $k) (i32.const 1)) (local.get $cs))))
          (f64.load (i32.add (local.get $pc) (i32.mul (i32.add (local.get $k) (i32.const 2)) (local.get $cs))))
          (f64.load (i32.add (local.get $pc) (i32.mul (i32.add (local.get $k) (i32.const 3)) (local.get $cs))))
          (local.get $pp) (local.get $m))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $next)))
    (block $end
      (loop $rest
        (br_if $end (i32.ge_s (local.get $k) (local.get $r)))
        (call $one
          (i32.add (local.get $pv) (i32.mul (local.get $k) (local.get $vs)))
          (f64.load (i32.add (local.get $pc) (i32.mul (local.get $k) (local.get $cs))))
          (local.get $pp) (local.get $m))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rest))))

  ;; acc = w·p ($first ≠ 0) or acc + w·p
  (func (export "lora_fold") (param $pp i32) (param $pacc i32) (param $w f64) (param $first i32) (param $m i32)
    (local $i i32) (local $at i32) (local $vw v128) (local $t v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $at (i32.shl (local.get $i) (i32.const 3)))
        (local.set $t (f64x2.mul (local.get $vw) (v128.load (i32.add (local.get $pp) (local.get $at)))))
        (v128.store (i32.add (local.get $pacc) (local.get $at))
          (if (result v128) (local.get $first)
            (then (local.get $t))
            (else (f64x2.add (v128.load (i32.add (local.get $pacc) (local.get $at))) (local.get $t)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next))))

  ;; v = base + sc·acc (no base: sc·acc) into acc; its float32 words, rounded to the output's precision, at pout
  ;; (result 1). $bf16 = 1 (bfloat16 output): their top halves, the bfloat16 words, at pout, and the result
  ;; says whether every value was in the fast range (exponent 1..254 or ±0, judged as writeFastBlock does).
  (func (export "lora_finish") (param $pbase i32) (param $hasbase i32) (param $pacc i32) (param $sc f64) (param $c f64) (param $pout i32) (param $m i32)
    (param $bf16 i32) (result i32)
    (local $i i32) (local $at i32) (local $vsc v128) (local $vc v128) (local $lo v128) (local $hi v128) (local $t v128) (local $q v128) (local $ax v128) (local $flag v128)
    (local.set $vsc (f64x2.splat (local.get $sc)))
    (local.set $vc (f64x2.splat (local.get $c)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $at (i32.add (local.get $pacc) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $lo (f64x2.mul (local.get $vsc) (v128.load (local.get $at))))
        (local.set $hi (f64x2.mul (local.get $vsc) (v128.load offset=16 (local.get $at))))
        (if (local.get $hasbase)
          (then
            (local.set $lo (f64x2.add (v128.load (i32.add (local.get $pbase) (i32.shl (local.get $i) (i32.const 3)))) (local.get $lo)))
            (local.set $hi (f64x2.add (v128.load offset=16 (i32.add (local.get $pbase) (i32.shl (local.get $i) (i32.const 3)))) (local.get $hi)))))
        (v128.store (local.get $at) (local.get $lo))
        (v128.store offset=16 (local.get $at) (local.get $hi))
        (local.set $t (f64x2.mul (local.get $lo) (local.get $vc)))
        (local.set $lo (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $lo)))))
        (local.set $t (f64x2.mul (local.get $hi) (local.get $vc)))
        (local.set $hi (f32x4.demote_f64x2_zero (f64x2.sub (local.get $t) (f64x2.sub (local.get $t) (local.get $hi)))))
        (local.set $q (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
        (if (local.get $bf16)
          (then
            ;; fast range: x = |bits|; (x + 2^23) | ((x − 2^23) & −x) is negative for exponent 255 and nonzero subnormals
            (local.set $ax (v128.and (local.get $q) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
            (local.set $flag (v128.or (local.get $flag)
              (v128.or
                (i32x4.add (local.get $ax) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
                (v128.and (i32x4.sub (local.get $ax) (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)) (i32x4.neg (local.get $ax))))))
            (v128.store64_lane 0 (i32.add (local.get $pout) (i32.shl (local.get $i) (i32.const 1)))
              (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $q) (i32.const 16)) (i32x4.shr_u (local.get $q) (i32.const 16)))))
          (else (v128.store (i32.add (local.get $pout) (i32.shl (local.get $i) (i32.const 2))) (local.get $q))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (i32.eqz (i32x4.bitmask (local.get $flag))))
)
