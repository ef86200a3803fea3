import Foundation
import Testing
@testable import Recurrent

/// Where `FileAccess.writeAtomically` (every file the library writes) puts its bytes when the
/// destination is not a plain file: a rename over a device or pipe would replace it with a file
/// (`--output /dev/null` run as root replaced /dev/null itself), and one over a symbolic link
/// would replace the link.
@Suite("File writes")
struct FileAccessTests {
    @Test("A write to a pipe goes into the pipe and leaves the pipe in place")
    func writeToPipeWritesInPlace() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pipe = directory.appendingPathComponent("out.fifo")
        #expect(mkfifo(pipe.path, 0o600) == 0)
        #expect(FileAccess.isSpecialFile(pipe.path))
        // The reader opens the pipe on another thread; opening blocks until the writer opens it.
        let received = ReceivedBytes()
        let reader = Thread {
            received.set(FileHandle(forReadingAtPath: pipe.path)?.readDataToEndOfFile() ?? Data())
        }
        reader.start()
        let payload = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try FileAccess.writeAtomically(payload, to: pipe)
        #expect(received.wait(seconds: 10) == payload)
        var status = stat()
        #expect(stat(pipe.path, &status) == 0 && status.st_mode & mode_t(S_IFMT) == mode_t(S_IFIFO))
        // No temporary file was left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.fifo"])
    }

    @Test("A write through a symbolic link replaces the file it names and keeps the link")
    func writeThroughLinkKeepsLink() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("model.safetensors"), link = directory.appendingPathComponent("latest")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        try FileAccess.writeAtomically(Data("new".utf8), to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
        #expect(try Data(contentsOf: target) == Data("new".utf8))
        #expect(!FileAccess.isSpecialFile(target.path) && !FileAccess.isSpecialFile(directory.path))
        // A link whose file does not exist yet: the file is made, the link stays.
        let dangling = directory.appendingPathComponent("next"), made = directory.appendingPathComponent("sub/next.safetensors")
        try FileManager.default.createDirectory(at: made.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "sub/next.safetensors")
        try FileAccess.writeAtomically(Data("made".utf8), to: dangling)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling.path) == "sub/next.safetensors")
        #expect(try Data(contentsOf: made) == Data("made".utf8))
    }

    @Test("A write to a plain file still goes through a temporary file and a rename")
    func writeToPlainFileIsAtomic() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.csv")
        try Data("old".utf8).write(to: file)
        var before = stat(), after = stat()
        #expect(stat(file.path, &before) == 0)
        try FileAccess.writeAtomically(Data("new".utf8), to: file)
        #expect(stat(file.path, &after) == 0)
        #expect(before.st_ino != after.st_ino, "a rename gives the path a new inode")
        #expect(try Data(contentsOf: file) == Data("new".utf8))
    }

    @Test("Leftovers of killed writes are found for long names too, nested ones included, and nothing else")
    func leftoversOfLongNames() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for length in [5, 200, 240] {
            let url = directory.appendingPathComponent(String(repeating: "n", count: length))
            let first = FileAccess.temporaryPrefix(of: url) + UUID().uuidString
            let nested = FileAccess.temporaryPrefix(of: directory.appendingPathComponent(first)) + UUID().uuidString
            for name in [first, nested, "keep"] { try Data([1]).write(to: directory.appendingPathComponent(name)) }
            #expect(FileAccess.removeInterruptedWrites(of: url) == 2, "\(length)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep"])
        }
    }

    @Test("Files written together all land, or, when one write fails, none does and no temporary stays")
    func writesTogetherOrNotAtAll() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a.npy"), b = directory.appendingPathComponent("b.safetensors")
        for url in [a, b] { try Data("old".utf8).write(to: url) }
        let failure = RecurrentError.io("a write failed")
        #expect(throws: failure) {
            try FileAccess.writeTogether([(a, { try FileAccess.writeAtomically(Data("new".utf8), to: $0) }), (b, { _ in throw failure })])
        }
        #expect(try Data(contentsOf: a) == Data("old".utf8) && Data(contentsOf: b) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["a.npy", "b.safetensors"])
        // A writer's message names the destination, not the temporary it wrote to.
        let named = recurrentError {
            try FileAccess.writeTogether([(b, { throw RecurrentError.io("\($0.path): cannot write (disk full)") })])
        }
        #expect(named?.message == "\(b.path): cannot write (disk full)")
        try FileAccess.writeTogether([(a, { try FileAccess.writeAtomically(Data("A".utf8), to: $0) }),
                                      (b, { try FileAccess.writeAtomically(Data("B".utf8), to: $0) })])
        #expect(try Data(contentsOf: a) == Data("A".utf8) && Data(contentsOf: b) == Data("B".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["a.npy", "b.safetensors"])
    }
}

/// Bytes handed from the reader thread to the test, with a wait. `@unchecked Sendable`: `data`
/// is only touched with `condition` locked.
private final class ReceivedBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.signal()
        condition.unlock()
    }

    func wait(seconds: Double) -> Data? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while data == nil, condition.wait(until: deadline) {}
        return data
    }
}
