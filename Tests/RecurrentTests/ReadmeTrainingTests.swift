import Foundation
import Testing
@testable import Recurrent

/// The README's training examples learn: each runs at a reduced size and beats chance.
@Suite("README training examples")
struct ReadmeTrainingTests {
    /// The commands of the Training section's first block, continuation lines joined, comments dropped.
    static var commands: [[String]] {
        let section = ReadmeTests.readme.components(separatedBy: "## Training\n")[1]
        let block = section.components(separatedBy: "```sh\n")[1].components(separatedBy: "```")[0]
        return block.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map { line in
            line.split(separator: "#")[0].split(separator: " ").map { String($0).replacingOccurrences(of: "\"", with: "") }
        }
    }

    /// `arguments` with each option in `changes` set to its new value (added when absent).
    static func reduced(_ arguments: [String], _ changes: [String: String]) -> [String] {
        var out = arguments
        for (option, value) in changes.sorted(by: { $0.key < $1.key }) {
            if let i = out.firstIndex(of: option) { out[i + 1] = value } else { out += [option, value] }
        }
        return out
    }

    /// The held-out loss and accuracy (percent) a training run printed.
    static func heldOut(_ stdout: String) throws -> (loss: Double, accuracy: Double?) {
        let line = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("held-out: loss ") })
        let words = line.replacingOccurrences(of: ",", with: "").split(separator: " ")
        let accuracy = words.firstIndex(of: "accuracy").flatMap { Double(words[$0 + 1].dropLast()) }
        return (try #require(Double(words[2])), accuracy)
    }

    @Test("Every training example in the README, at a reduced size, beats chance; the text model generates")
    func examplesLearn() throws {
        let commands = Self.commands
        #expect(commands.count == 6)
        let dir = try CLI.temporaryDirectory()
        let text = String(repeating: "to be or not to be, that is the question.\n", count: 200)
        try text.write(to: dir.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        try ModelJourneyTests.periodicSeries(rows: 600, seed: 4).joined(separator: "\n")
            .write(to: dir.appendingPathComponent("series.csv"), atomically: true, encoding: .utf8)
        for command in commands {
            #expect(command[0] == "recurrent")
            var arguments = Array(command.dropFirst())
            let kind = arguments.firstIndex(of: "--task").map { arguments[$0 + 1] }
                ?? (arguments.contains("--text") ? "text" : arguments.contains("--csv") ? "csv" : arguments[0])
            switch kind {
            case "adding": arguments = Self.reduced(arguments, ["--length": "30", "--steps": "1000"])
            case "temporal-order": arguments = Self.reduced(arguments, ["--length": "30", "--steps": "1000"])
            case "text": arguments = Self.reduced(arguments, ["--text": "text.txt", "--hidden": "48", "--seq-len": "32",
                                                                   // A step count, not the README's time limit: as much learning on a loaded machine.
                                                                   "--max-time": "600", "--steps": "200"])
            case "generate": arguments = Self.reduced(arguments, ["--length": "60", "--prime": "to be"])
            default: break
            }
            let result = try CLI.run(arguments, in: dir)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            switch kind {
            case "generate":
                #expect(result.stdout.hasPrefix("to be") && result.stdout.count >= 60, "\(result.stdout)")
            case "adding":
                #expect(try Self.heldOut(result.stdout).loss < 0.05, "\(result.stdout)")  // chance: the sum's variance, 1/6
            case "text":
                #expect(try Self.heldOut(result.stdout).loss < log(Double(Set(text).count)) - 1, "\(result.stdout)")  // chance: uniform
            case "csv":
                #expect(try Self.heldOut(result.stdout).loss < 0.5, "\(result.stdout)")  // predicting the mean costs about 1
            default:
                #expect(try #require(Self.heldOut(result.stdout).accuracy) > 90, "\(kind): \(result.stdout)")  // chance: 1/3, 1/4
            }
        }
    }
}
