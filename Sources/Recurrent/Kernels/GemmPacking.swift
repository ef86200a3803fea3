import CRecurrentSupport

// How the packed path of `gemm` cuts the left operand A into slivers of rows and packs them.

/// The register tile of the packed path, chosen for the vector registers the build targets.
///
/// Both tiles keep one accumulator lane per element of C and run k upwards, one fused
/// multiply-add per k, so they give bit-identical results (the contract on `gemm`); only the
/// speed differs.
enum GemmTile: Sendable, CaseIterable {
    /// Slivers of 6 (and 4) rows against one panel of 16 columns, in 8-lane vectors: 12
    /// accumulators, for 16 vector registers of 8 floats (AVX2) or 32 of 4 (NEON).
    case narrow
    /// Slivers of 8 (and 4) rows against two panels (32 columns), in 16-lane vectors: 16
    /// accumulators, for AVX-512's 32 registers of 16 floats. Measured on one Zen 5 core: about
    /// 260 GFLOP/s on operands in L1, twice the narrow tile.
    case wide

    /// The tile for `Scalar` in this build: wide for `Float` when the build targets AVX-512
    /// (`-Xswiftc -target-cpu -Xswiftc native` on such a CPU), else narrow.
    @inline(__always)
    static func preferred<Scalar>(for _: Scalar.Type) -> GemmTile {
        RECURRENT_HAS_AVX512 != 0 && Scalar.self == Float.self ? .wide : .narrow
    }

    /// The height of a full sliver (the other sliver height is 4).
    var tallHeight: Int { self == .wide ? 8 : 6 }
    /// Panels of B one kernel call covers.
    var panelsPerTile: Int { self == .wide ? 2 : 1 }
    /// Panels of B one call of the M = 1 row kernel covers.
    var panelsPerRow: Int { self == .wide ? 8 : 4 }
}

/// How M rows split into slivers of `tall` (6 or 8) and 4 rows with the least padding:
/// `countTall` slivers of `tall` rows, then `count4` of 4; rows past M are zero in the packed A
/// and never stored.
struct SliverPlan {
    let tall: Int
    let countTall: Int
    let count4: Int

    init(rows m: Int, tile: GemmTile) {
        tall = tile.tallHeight
        let q = m / tall, r = m % tall
        if tall == 8 {
            // 1 to 4 rows left: one sliver of 4; 5 to 7: one more of 8.
            (countTall, count4) = r == 0 ? (q, 0) : r <= 4 ? (q, 1) : (q + 1, 0)
        } else {
            switch r {
            case 0: (countTall, count4) = (q, 0)
            case 3, 4: (countTall, count4) = (q, 1)
            case 5: (countTall, count4) = (q + 1, 0)
            default: (countTall, count4) = q >= 1 ? (q - 1, 2) : (0, 1)  // 1, 2 rows left
            }
        }
    }

    var count: Int { countTall + count4 }

    /// The rows of all slivers, M plus the padding.
    var paddedRows: Int { tall * countTall + 4 * count4 }

    /// The first row of sliver s.
    @inline(__always)
    func row(_ s: Int) -> Int { s < countTall ? tall * s : tall * countTall + 4 * (s - countTall) }

    @inline(__always)
    func height(_ s: Int) -> Int { s < countTall ? tall : 4 }
}

/// Packs slivers `slivers` of A, columns `k0 ..< k0 + kc`, one after the other into `dst`:
/// sliver s (h rows from `plan.row(s)`) as `h · kc` elements, column by column (`[h·k + r]`),
/// zeros for rows at or past `a.rows`.
@inline(__always)
func packSlivers<S: RecurrentScalar>(
    _ a: MatrixView<S>, _ plan: SliverPlan, _ slivers: Range<Int>, k0: Int, kc: Int,
    into dst: UnsafeMutablePointer<S>
) {
    let rs = a.rowStride, cs = a.colStride
    if rs == 1 && cs != 1 {
        packTransposedSlivers(a, plan, slivers, k0: k0, kc: kc, into: dst)
        return
    }
    var offset = 0
    for s in slivers {
        let h = plan.height(s), row0 = plan.row(s), valid = min(h, a.rows - row0)
        let out = dst + offset
        offset += h * kc
        if cs == 1 && valid == h {
            // Row-major A: h row streams in, one contiguous stream out.
            let r0 = a.base + row0 * rs + k0, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs
            var d = out
            switch h {
            case 8:
                let r4 = r3 + rs, r5 = r4 + rs, r6 = r5 + rs, r7 = r6 + rs
                for k in 0..<kc {
                    d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]
                    d[4] = r4[k]; d[5] = r5[k]; d[6] = r6[k]; d[7] = r7[k]
                    d += 8
                }
            case 6:
                let r4 = r3 + rs, r5 = r4 + rs
                for k in 0..<kc {
                    d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]; d[4] = r4[k]; d[5] = r5[k]
                    d += 6
                }
            default:
                for k in 0..<kc {
                    d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]
                    d += 4
                }
            }
            continue
        }
        if valid < h { out.update(repeating: 0, count: h * kc) }
        for r in 0..<valid {
            var src = a.base + (row0 + r) * rs + k0 * cs
            var d = out + r
            if cs == 1 {
                for k in 0..<kc { d[h * k] = src[k] }
            } else {
                for _ in 0..<kc {
                    d.pointee = src.pointee
                    src += cs
                    d += h
                }
            }
        }
    }
}

/// `packSlivers` for A transposed (rows contiguous, `dAᵀ` in `dW += dAᵀ · X`): reads each column
/// of the block once and scatters it to the slivers (walking the slivers first would reread
/// lines a large power of 2 apart).
@inline(__always)
func packTransposedSlivers<S: RecurrentScalar>(
    _ a: MatrixView<S>, _ plan: SliverPlan, _ slivers: Range<Int>, k0: Int, kc: Int,
    into dst: UnsafeMutablePointer<S>
) {
    let cs = a.colStride
    let row0 = plan.row(slivers.lowerBound)
    let rows = min(a.rows, plan.row(slivers.upperBound - 1) + plan.height(slivers.upperBound - 1)) - row0
    var offset = 0
    for s in slivers {
        let h = plan.height(s), valid = min(h, a.rows - plan.row(s))
        if valid < h { (dst + offset).update(repeating: 0, count: h * kc) }
        offset += h * kc
    }
    typealias V4 = SIMD4<S>
    typealias V2 = SIMD2<S>
    let size = MemoryLayout<S>.stride
    let bytes = rows * size
    for k in 0..<kc {
        var src = UnsafeRawPointer(a.base + (k0 + k) * cs + row0)
        // The column 8 ahead, from memory while this one is copied: columns are far apart,
        // too far for the hardware prefetcher.
        let ahead = src + 8 * cs * size
        for offset in stride(from: 0, to: bytes, by: 64) { recurrent_prefetch(ahead + offset) }
        var d = dst, r = 0
        for s in slivers {
            let h = plan.height(s)
            let out = UnsafeMutableRawPointer(d + h * k)
            if r + h <= rows {
                // Full sliver: 4-lane copies (and a 2-lane one for 6 rows).
                out.storeBytes(of: src.loadUnaligned(as: V4.self), as: V4.self)
                if h == 6 {
                    out.storeBytes(of: src.loadUnaligned(fromByteOffset: 4 * size, as: V2.self),
                                   toByteOffset: 4 * size, as: V2.self)
                } else if h == 8 {
                    out.storeBytes(of: src.loadUnaligned(fromByteOffset: 4 * size, as: V4.self),
                                   toByteOffset: 4 * size, as: V4.self)
                }
            } else {
                let from = src.assumingMemoryBound(to: S.self), to = out.assumingMemoryBound(to: S.self)
                for i in 0..<max(0, rows - r) { to[i] = from[i] }
            }
            src += h * size
            d += h * kc
            r += h
        }
    }
}
