;; The statistics loops of kernels/stats/stats.cpu.ts (vectorFast, pairFast) in WebAssembly: the same operations in
;; the same order, so the same bits, without JavaScript's typed-array and number overheads. Blocks of
;; float64 values are decoded by the caller straight into this module's memory.
;;
;; vector(pa, pb, pv, m, nz, min, max): v = ftz(a − b) (+0 for −0, 0 for 0 < |v| < 2^-126) into pv, and
;; the block's compensated sums of v and v² (Knuth's TwoSum, corrections summed apart), min, max and the
;; count of |v| ≤ nz; written as float64 at RES: sum, sumC, sq, sqC, min, max, near. Returns 0 when a
;; sum is not finite (the caller then redoes the block with the reference), else 1.
;; pair(pp, pq, m): compensated Σ p·q, and the counts of entries with both non-zero and both non-zero of
;; the same sign (from the product's high word: |p·q| ≥ 2^-252 or 0 here), written at RES: dot, dotC,
;; both, agree. Returns 0 when the dot is not finite.
(module
  (memory (export "memory") 16)
  (global $RES (export "RES") i32 (i32.const 0))
  (func (export "vector") (param $pa i32) (param $pb i32) (param $pv i32) (param $m i32) (param $nz f64)
        (param $min f64) (param $max f64) (result i32)
    (local $i i32) (local $end i32) (local $x f64) (local $e i32)
    (local $sum f64) (local $sumC f64) (local $sq f64) (local $sqC f64) (local $near i32)
    (local $t f64) (local $z f64) (local $x2 f64)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; x = a − b + 0
        (local.set $x (f64.add
          (f64.sub (f64.load (i32.add (local.get $pa) (local.get $i))) (f64.load (i32.add (local.get $pb) (local.get $i))))
          (f64.const 0)))
        ;; exponent field 1..896: non-zero and below 2^-126 → 0
        (local.set $e (i32.and (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 52))) (i32.const 0x7ff)))
        (if (i32.lt_u (i32.sub (local.get $e) (i32.const 1)) (i32.const 896)) (then (local.set $x (f64.const 0))))
        (f64.store (i32.add (local.get $pv) (local.get $i)) (local.get $x))
        ;; near += sign bit of nz − |x| is clear
        (local.set $near (i32.add (local.get $near)
          (i32.wrap_i64 (i64.xor (i64.shr_u (i64.reinterpret_f64 (f64.sub (local.get $nz) (f64.abs (local.get $x)))) (i64.const 63)) (i64.const 1)))))
        ;; sum, sumC
        (local.set $t (f64.add (local.get $sum) (local.get $x)))
        (local.set $z (f64.sub (local.get $t) (local.get $sum)))
        (local.set $sumC (f64.add (local.get $sumC)
          (f64.add (f64.sub (local.get $sum) (f64.sub (local.get $t) (local.get $z))) (f64.sub (local.get $x) (local.get $z)))))
        (local.set $sum (local.get $t))
        ;; sq, sqC
        (local.set $x2 (f64.mul (local.get $x) (local.get $x)))
        (local.set $t (f64.add (local.get $sq) (local.get $x2)))
        (local.set $z (f64.sub (local.get $t) (local.get $sq)))
        (local.set $sqC (f64.add (local.get $sqC)
          (f64.add (f64.sub (local.get $sq) (f64.sub (local.get $t) (local.get $z))) (f64.sub (local.get $x2) (local.get $z)))))
        (local.set $sq (local.get $t))
        ;; if (x < min) min = x; if (x > max) max = x
        (local.set $min (select (local.get $x) (local.get $min) (f64.lt (local.get $x) (local.get $min))))
        (local.set $max (select (local.get $x) (local.get $max) (f64.gt (local.get $x) (local.get $max))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (f64.store offset=0 (global.get $RES) (local.get $sum))
    (f64.store offset=8 (global.get $RES) (local.get $sumC))
    (f64.store offset=16 (global.get $RES) (local.get $sq))
    (f64.store offset=24 (global.get $RES) (local.get $sqC))
    (f64.store offset=32 (global.get $RES) (local.get $min))
    (f64.store offset=40 (global.get $RES) (local.get $max))
    (f64.store offset=48 (global.get $RES) (f64.convert_i32_u (local.get $near)))
    ;; sum − sum is 0 exactly when sum is finite
    (i32.and
      (f64.eq (f64.sub (local.get $sum) (local.get $sum)) (f64.const 0))
      (f64.eq (f64.sub (local.get $sq) (local.get $sq)) (f64.const 0))))

  ;; decode_bf16(ps, pd, m): m bfloat16 words at ps as float64 at pd (exact: a bf16 is the top half of
  ;; a float32). Eight at a time, then one by one.
  (func (export "decode_bf16") (param $ps i32) (param $pd i32) (param $m i32)
    (local $i i32) (local $end8 i32) (local $w v128) (local $l v128) (local $h v128) (local $o i32)
    (local.set $end8 (i32.and (local.get $m) (i32.const -8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end8)))
        (local.set $w (v128.load (i32.add (local.get $ps) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i64x2 0 0) (local.get $w)))
        (local.set $h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i64x2 0 0) (local.get $w)))
        (local.set $o (i32.add (local.get $pd) (i32.shl (local.get $i) (i32.const 3))))
        (v128.store offset=0 (local.get $o) (f64x2.promote_low_f32x4 (local.get $l)))
        (v128.store offset=16 (local.get $o) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $l) (local.get $l))))
        (v128.store offset=32 (local.get $o) (f64x2.promote_low_f32x4 (local.get $h)))
        (v128.store offset=48 (local.get $o) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $m)))
        (f64.store (i32.add (local.get $pd) (i32.shl (local.get $i) (i32.const 3)))
          (f64.promote_f32 (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $ps) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next2))))

  (func (export "pair") (param $pp i32) (param $pq i32) (param $m i32) (result i32)
    (local $i i32) (local $end i32) (local $ab f64) (local $hi i32) (local $nonzero i32)
    (local $dot f64) (local $dotC f64) (local $both i32) (local $agree i32) (local $t f64) (local $z f64)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $ab (f64.mul (f64.load (i32.add (local.get $pp) (local.get $i))) (f64.load (i32.add (local.get $pq) (local.get $i)))))
        (local.set $hi (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $ab)) (i64.const 32))))
        (local.set $nonzero (i32.ne (i32.and (local.get $hi) (i32.const 0x7fffffff)) (i32.const 0)))
        (local.set $both (i32.add (local.get $both) (local.get $nonzero)))
        (local.set $agree (i32.add (local.get $agree)
          (i32.and (local.get $nonzero) (i32.xor (i32.shr_u (local.get $hi) (i32.const 31)) (i32.const 1)))))
        (local.set $t (f64.add (local.get $dot) (local.get $ab)))
        (local.set $z (f64.sub (local.get $t) (local.get $dot)))
        (local.set $dotC (f64.add (local.get $dotC)
          (f64.add (f64.sub (local.get $dot) (f64.sub (local.get $t) (local.get $z))) (f64.sub (local.get $ab) (local.get $z)))))
        (local.set $dot (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (f64.store offset=0 (global.get $RES) (local.get $dot))
    (f64.store offset=8 (global.get $RES) (local.get $dotC))
    (f64.store offset=16 (global.get $RES) (f64.convert_i32_u (local.get $both)))
    (f64.store offset=24 (global.get $RES) (f64.convert_i32_u (local.get $agree)))
    (f64.eq (f64.sub (local.get $dot) (local.get $dot)) (f64.const 0)))
)
