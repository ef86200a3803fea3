import Foundation

extension CLI {
    /// What `recurrent` wrote to a terminal: its standard error a pseudo-terminal (as a user's
    /// shell gives it), its standard output a pipe.
    struct TerminalResult {
        var status: Int32
        var stdout: String
        /// The bytes the terminal received, as the program wrote them (output post-processing,
        /// which turns "\n" into "\r\n", is switched off).
        var terminal: String
    }

    /// Runs `recurrent` with `arguments`, its standard error a fresh pseudo-terminal.
    static func runOnTerminal(_ arguments: [String]) throws -> TerminalResult {
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
        let out = Pipe()
        process.standardOutput = out
        let replicaHandle = FileHandle(fileDescriptor: replica, closeOnDealloc: false)
        process.standardError = replicaHandle
        do { try process.run() } catch { close(replica); throw error }
        close(replica)   // the child holds its copy: reading the master ends (EIO) when the child exits
        // The terminal's bytes are read on this thread, standard output (small) after.
        var received = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count > 0 { received += buffer[0..<count] } else if count < 0 && errno == EINTR { continue } else { break }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TerminalResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                              terminal: String(decoding: received, as: UTF8.self))
    }
}
