;; DARE's drop-and-rescale of one term over a block (kernels/dare/dare.cpu.ts's dareTermFast, bit for bit): the
;; counter hash of kernels/dare/hash.ts on four element indices at once (wrapping u32 multiply, add, xor,
;; shifts: the same integers), then τ' = h ≥ dropBelow ? d / density : d · 0 in float64, d = a − b or a.
;;
;; dare(pa, pb, hasB, pout, m, firstLo, mixLo, mixHi, dropBelow, density): element i of the block has
;; counter lo = firstLo + i (mod 2^32) and hash input mix = mixHi where lo wrapped below firstLo, else
;; mixLo; a and b are float64 blocks at pa, pb, τ' goes to pout as float64, for m rounded up to a
;; multiple of 4 (the extra lanes are the caller's to ignore).
(module
  (memory (export "memory") 4)
  (func (export "dare")
    (param $pa i32) (param $pb i32) (param $hasB i32) (param $pout i32) (param $m i32)
    (param $firstLo i32) (param $mixLo i32) (param $mixHi i32) (param $drop i32) (param $density f64)
    (local $i i32) (local $end i32) (local $lo v128) (local $x v128) (local $kept v128) (local $d v128) (local $o i32)
    (local $vdens v128)
    (local.set $vdens (f64x2.splat (local.get $density)))
    (local.set $end (i32.and (i32.add (local.get $m) (i32.const 3)) (i32.const -4)))
    (local.set $lo (i32x4.add (i32x4.splat (local.get $firstLo)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; h = fmix32(lo · 0x9E3779B1 + mix)
        (local.set $x (i32x4.add (i32x4.mul (local.get $lo) (i32x4.splat (i32.const 0x9e3779b1)))
          (v128.bitselect (i32x4.splat (local.get $mixHi)) (i32x4.splat (local.get $mixLo))
            (i32x4.lt_u (local.get $lo) (i32x4.splat (local.get $firstLo))))))
        (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
        (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x85ebca6b))))
        (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 13))))
        (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0xc2b2ae35))))
        (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
        (local.set $kept (i32x4.ge_u (local.get $x) (i32x4.splat (local.get $drop))))
        ;; elements i, i+1
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (local.set $d (v128.load (i32.add (local.get $pa) (local.get $o))))
        (if (local.get $hasB) (then (local.set $d (f64x2.sub (local.get $d) (v128.load (i32.add (local.get $pb) (local.get $o)))))))
        (v128.store (i32.add (local.get $pout) (local.get $o))
          (v128.bitselect (f64x2.div (local.get $d) (local.get $vdens)) (f64x2.mul (local.get $d) (v128.const i64x2 0 0))
            (i64x2.extend_low_i32x4_s (local.get $kept))))
        ;; elements i+2, i+3
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $d (v128.load (i32.add (local.get $pa) (local.get $o))))
        (if (local.get $hasB) (then (local.set $d (f64x2.sub (local.get $d) (v128.load (i32.add (local.get $pb) (local.get $o)))))))
        (v128.store (i32.add (local.get $pout) (local.get $o))
          (v128.bitselect (f64x2.div (local.get $d) (local.get $vdens)) (f64x2.mul (local.get $d) (v128.const i64x2 0 0))
            (i64x2.extend_high_i32x4_s (local.get $kept))))
        (local.set $lo (i32x4.add (local.get $lo) (v128.const i32x4 4 4 4 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))
)
