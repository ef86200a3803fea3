import CRecurrentKernels
import Foundation

/// What the plans need to know about the CPU they run on: its name and cache sizes, read once
/// per process from the operating system (Linux: `/sys/devices/system/cpu/cpu0/cache`; else
/// `sysconf`), with conservative defaults where it does not say.
public struct MachineProfile: Sendable, Equatable, Codable {
    /// The CPU's name as it reports it, with its x86 family and model when known.
    public var cpuName: String
    /// Logical processors this process may run on (on Linux, its affinity mask: `taskset` and a
    /// container's cpuset count).
    public var processors: Int
    /// Data cache sizes in bytes: L1 and L2 per core, L3 shared (0 when unknown).
    public var l1DataBytes: Int
    public var l2Bytes: Int
    public var l3Bytes: Int

    /// The machine this process runs on, read once.
    public static let current = MachineProfile.read()

    static func read() -> MachineProfile {
        var brand = [CChar](repeating: 0, count: 64)
        rk_cpu_brand(&brand, 64)
        var name = String(decoding: brand.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if name.isEmpty { name = procCPUInfoModelName() ?? "unknown CPU" }
        var family: Int32 = -1, model: Int32 = -1
        rk_cpu_family_model(&family, &model)
        if family >= 0 { name += " (family \(family), model \(model)\(zenGeneration(family, model).map { ", \($0)" } ?? ""))" }
        let l1 = cacheBytes(level: 1, type: "Data") ?? sysconfBytes(level: 1) ?? 32 * 1024
        let l2 = cacheBytes(level: 2, type: "Unified") ?? sysconfBytes(level: 2) ?? 512 * 1024
        let l3 = cacheBytes(level: 3, type: "Unified") ?? sysconfBytes(level: 3) ?? 0
        return MachineProfile(cpuName: name, processors: Int(rk_usable_cpu_count()),
                              l1DataBytes: l1, l2Bytes: l2, l3Bytes: l3)
    }

    /// AMD's Zen generation for the family and model cpuid reports, where known: virtual
    /// machines often hide the marketing name, and the generation decides the vector units.
    static func zenGeneration(_ family: Int32, _ model: Int32) -> String? {
        switch (family, model) {
        case (23, 0..<0x30): "Zen 1/Zen+"
        case (23, _): "Zen 2"
        case (25, 0..<0x10), (25, 0x20..<0x60): "Zen 3"
        case (25, _): "Zen 4"
        case (26, _): "Zen 5"
        default: nil
        }
    }

    /// The size of the cache of `level` and `type` seen by CPU 0, from Linux's sysfs.
    private static func cacheBytes(level: Int, type: String) -> Int? {
        for index in 0..<8 {
            let dir = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let lv = try? String(contentsOfFile: dir + "level", encoding: .utf8),
                  Int(lv.trimmingCharacters(in: .whitespacesAndNewlines)) == level,
                  let ty = try? String(contentsOfFile: dir + "type", encoding: .utf8),
                  ty.trimmingCharacters(in: .whitespacesAndNewlines) == type,
                  let size = try? String(contentsOfFile: dir + "size", encoding: .utf8)
            else { continue }
            let text = size.trimmingCharacters(in: .whitespacesAndNewlines)
            let factor = text.hasSuffix("K") ? 1024 : text.hasSuffix("M") ? 1024 * 1024 : 1
            if let value = Int(text.trimmingCharacters(in: CharacterSet(charactersIn: "KMB"))), value > 0 {
                return value * factor
            }
        }
        return nil
    }

    /// glibc's cache sizes (from cpuid); nil elsewhere.
    private static func sysconfBytes(level: Int) -> Int? {
        #if os(Linux)
        let names = [Int32(_SC_LEVEL1_DCACHE_SIZE), Int32(_SC_LEVEL2_CACHE_SIZE), Int32(_SC_LEVEL3_CACHE_SIZE)]
        let value = sysconf(names[level - 1])
        return value > 0 ? value : nil
        #else
        return nil
        #endif
    }

    private static func procCPUInfoModelName() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
