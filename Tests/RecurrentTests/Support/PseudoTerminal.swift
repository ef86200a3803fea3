import Foundation

extension CLI {
    /// One of the program's output streams.
    enum Stream { case standardOutput, standardError }

    /// What `recurrent` wrote with one of its streams a terminal and the other a pipe.
    struct TerminalResult {
        var status: Int32
        /// The bytes the terminal received, as the program wrote them (output post-processing,
        /// which turns "\n" into "\r\n", is switched off).
        var terminal: String
        /// What the other stream wrote, to a pipe.
        var piped: String
    }

    /// Runs `recurrent` with `arguments`, the stream `terminal` a fresh pseudo-terminal (as a
    /// user's shell gives it), the other a pipe, read once the terminal is closed: it must stay
    /// under a pipe's capacity (64 KB), or the program blocks.
    static func runOnTerminal(_ arguments: [String], terminal: Stream) throws -> TerminalResult {
        // posix_openpt, unlockpt and ptsname, which Swift's Glibc does not import, by hand: the
        // multiplexer gives a new pair, TIOCSPTLCK unlocks its replica and TIOCGPTN numbers it
        // (Linux's asm-generic values: _IOW('T', 0x31, int), _IOR('T', 0x30, unsigned int)).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        guard ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw CocoaError(.fileReadUnknown)
        }
        let replica = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard replica >= 0 else { throw CocoaError(.fileReadUnknown) }
        var settings = termios()
        if tcgetattr(replica, &settings) == 0 {
            settings.c_oflag &= ~tcflag_t(OPOST)
            tcsetattr(replica, TCSANOW, &settings)
        }
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("recurrent")
        process.arguments = arguments
        let pipe = Pipe(), replicaHandle = FileHandle(fileDescriptor: replica, closeOnDealloc: false)
        process.standardOutput = terminal == .standardOutput ? replicaHandle : pipe
        process.standardError = terminal == .standardError ? replicaHandle : pipe
        do { try process.run() } catch { close(replica); throw error }
        close(replica)   // the child holds its copy: reading the master ends (EIO) when the child exits
        var received = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count > 0 { received += buffer[0..<count] } else if count < 0 && errno == EINTR { continue } else { break }
        }
        let pipedData = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TerminalResult(status: process.terminationStatus, terminal: String(decoding: received, as: UTF8.self),
                              piped: String(decoding: pipedData, as: UTF8.self))
    }

    /// The lines a terminal shows for `text`: a line break starts a new line, a carriage return
    /// goes back to the line's start, and a character replaces the one under it; blanks at a
    /// line's end are dropped.
    static func screen(_ text: some StringProtocol) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { written in
            var line = [Character]()
            for update in written.split(separator: "\r", omittingEmptySubsequences: false) {
                for (column, character) in update.enumerated() {
                    if column < line.count { line[column] = character } else { line.append(character) }
                }
            }
            return String(String(line).reversed().drop { $0 == " " }.reversed())
        }
    }
}
