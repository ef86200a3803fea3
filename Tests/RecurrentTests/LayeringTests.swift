import Foundation
import Testing

/// The library's folders form layers, and code may only name what its own layer or a lower one
/// declares: Charts, Tensor ← Kernels ← Cells ← Layers ← Formats ← Course ← Training, Tasks (and the
/// command line above them all, in its own target). One module cannot make the compiler check
/// this, so this test does, on the sources.
@Suite("Layering")
struct LayeringTests {
    static let order = ["Charts": 0, "Tensor": 0, "Kernels": 1, "Cells": 2, "Layers": 3, "Formats": 4, "Course": 5, "Training": 6, "Tasks": 6]
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Recurrent")

    /// Source text without comments and string literals.
    static func code(_ text: String) -> String {
        var out = text.replacingOccurrences(of: #"//[^\n]*"#, with: "", options: .regularExpression)
        out = out.replacingOccurrences(of: #"\"\"\"[\s\S]*?\"\"\""#, with: "\"\"", options: .regularExpression)
        return out.replacingOccurrences(of: #""(?:\\.|[^"\\\n])*""#, with: "\"\"", options: .regularExpression)
    }

    static func matches(_ pattern: String, in text: String, group: Int) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: group), in: text).map { String(text[$0]) }
        }
    }

    @Test("No file names a type declared in a layer above its own")
    func dependenciesPointDown() throws {
        var declared: [String: String] = [:], sources: [(folder: String, file: String, text: String)] = []
        for (folder, _) in Self.order {
            let dir = Self.root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                sources.append((folder, name, text))
                let pattern = #"^(?:public |internal |private |fileprivate |package )?(?:final )?(?:struct|class|enum|protocol|typealias|actor) (\w+)"#
                for type in try Self.matches(pattern, in: text, group: 1) { declared[type] = declared[type] ?? folder }
            }
        }
        #expect(declared.count > 50, "the declarations were found")
        var violations: [String] = []
        for (folder, file, text) in sources {
            let level = Self.order[folder]!
            let words = Set(try Self.matches(#"\b([A-Z]\w*)\b"#, in: Self.code(text), group: 1))
            for word in words.sorted() {
                if let home = declared[word], Self.order[home]! > level { violations.append("\(folder)/\(file) names \(word) (\(home))") }
            }
        }
        #expect(violations == [])
    }
}
