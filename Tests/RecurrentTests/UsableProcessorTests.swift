import Foundation
import Testing
@testable import Recurrent

/// The kernels take as many threads as the processors the process may run on, not the
/// processors the machine has: under `taskset` or a container's cpuset, more threads than
/// processors would make every step barrier wait for a descheduled thread.
@Suite("Usable processors")
struct UsableProcessorTests {
    /// The processors `/proc/self/status` lists as allowed ("0-1,4"), counted independently.
    static func allowedProcessors() throws -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return try line.dropFirst("Cpus_allowed_list:".count).split(separator: ",").map { range in
            let ends = range.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let first = ends.first ?? nil, let last = ends.last ?? nil else { throw RecurrentError(.format, "\(range)") }
            return last - first + 1
        }.reduce(0, +)
    }

    @Test("The thread limit and the machine profile count the processors of the process's affinity mask",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status"), "Linux lists the mask in /proc/self/status"))
    func countsTheAffinityMask() throws {
        let allowed = try #require(try Self.allowedProcessors(), "no Cpus_allowed_list in /proc/self/status")
        #expect(KernelSettings.maximumThreadCount == min(64, allowed))
        #expect(MachineProfile.current.processors == allowed)
    }

    @Test("Under taskset -c 0 the CLI takes one thread: --threads 2 is refused naming the one processor",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") && KernelSettings.maximumThreadCount >= 2,
                   "needs taskset and two usable cores, to have something to restrict"))
    func tasksetLimitsTheThreads() throws {
        // --repeats 0 is refused after --threads, so neither command runs a benchmark.
        let pinned = try CLI.shell(#"/usr/bin/taskset -c 0 "$0" bench --threads 2 --repeats 0"#)
        #expect(pinned.status == 64)
        #expect(pinned.stderr == "Error: --threads must be in 1...1 (the cores this process may use), got 2\n", "\(pinned.stderr)")
        let free = try CLI.run(["bench", "--threads", "2", "--repeats", "0"])
        #expect(free.status == 64)
        #expect(free.stderr == "Error: --repeats must be in 1...10000, got 0\n", "\(free.stderr)")
    }
}
