import Foundation

/// A character model reading a text, with one layer's gates and states at every character: what
/// `recurrent visualize` shades the text by (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
/// Understanding Recurrent Networks").
///
/// The layers run as cells, step by step in Float (the same equations and weights as the
/// model's forward pass): x_t = E[token_t], then each layer's cell on the layer below's h.
/// LSTM layers give `c`, `h`, `i`, `f`, `o`, `g`; GRU layers `h`, `r`, `z`, `n`; each
/// `(T, H)` as `values[name][t][unit]`.
public struct TextActivity: Sendable {
    /// The characters read, one per step.
    public let characters: [Character]
    /// The layer whose values are kept, from 0.
    public let layer: Int
    /// Each value's name, in display order.
    public let names: [String]
    /// The values: name → step → unit.
    public let values: [String: [[Double]]]

    /// Runs `model` on `text`; `textName` (a file name) starts the messages about the text.
    /// - Throws: `RecurrentError` for a model that is not a unidirectional LSTM or GRU character
    ///   model (no vocabulary, a projection), a layer out of range, a character outside the
    ///   vocabulary (named, with its code, line and position), or an empty text.
    public init(model: SequenceModel<Float>, text: String, layer: Int, textName: String = "the text") throws {
        let cfg = model.configuration, rec = cfg.recurrent
        guard let vocabulary = model.vocabulary, let embedding = model.parameters[cfg.embeddingName] else {
            throw RecurrentError.unsupported("not a character model (it has no vocabulary): visualize reads models trained on text")
        }
        guard [.lstm, .gru].contains(rec.cell), !rec.bidirectional, rec.projectionSize == 0 else {
            throw RecurrentError.unsupported("visualize reads unidirectional LSTM and GRU models without projection, not \(rec.summary)")
        }
        guard (0..<rec.layers).contains(layer) else {
            throw RecurrentError.value("layer \(layer) is out of range: the model has layers 0...\(rec.layers - 1)")
        }
        try model.checkVocabularySize(vocabulary)
        let ids = try Self.encode(text, vocabulary: vocabulary, name: textName)
        let X = rec.inputSize
        var layers = try (0...layer).map { try LayerCell(model: model, layer: $0) }
        var record: [String: [[Double]]] = [:]
        for id in ids {
            var x = try Tensor(shape: [X], scalars: Array(embedding.scalars[(Int(id) * X)..<((Int(id) + 1) * X)]))
            for k in layers.indices {
                let named = try layers[k].step(x)
                x = layers[k].h
                if k == layer { for (name, v) in named { record[name, default: []].append(v.map(Double.init)) } }
            }
        }
        characters = text.unicodeScalars.map(Character.init)
        self.layer = layer
        names = rec.cell == .lstm ? ["c", "h", "i", "f", "o", "g"] : ["h", "r", "z", "n"]
        values = record
    }

    /// The token ids of `text` in a model's vocabulary (one character per entry).
    static func encode(_ text: String, vocabulary: [String], name: String) throws -> [Int32] {
        guard !text.isEmpty else { throw RecurrentError.value("\(name) is empty") }
        let ids = Dictionary(vocabulary.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        var (line, column) = (1, 1)
        return try text.unicodeScalars.map { scalar in
            guard let id = ids[String(scalar)] else {
                throw RecurrentError.value("\(name) line \(line), character \(column): '\(scalar.escaped(asASCII: false))' "
                    + "(\(String(format: "U+%04X", scalar.value))) is not in the model's vocabulary (\(vocabulary.count) characters)")
            }
            (line, column) = scalar == "\n" ? (line + 1, 1) : (line, column + 1)
            return id
        }
    }

    /// One unit's values of `name` at every step.
    public func track(_ name: String, unit: Int) -> [Double] {
        (values[name] ?? []).map { $0.indices.contains(unit) ? $0[unit] : .nan }
    }
}

/// One layer of a model as a cell with its state, stepping one character at a time.
private struct LayerCell {
    var lstm: LSTMCell<Float>?, gru: GRUCell<Float>?
    var h: Tensor<Float>, c: Tensor<Float>

    init(model: SequenceModel<Float>, layer: Int) throws {
        let rec = model.configuration.recurrent
        let X = layer == 0 ? rec.inputSize : rec.outputSize, H = rec.hiddenSize
        let names = ["weight_ih", "weight_hh"] + (rec.bias ? ["bias_ih", "bias_hh"] : [])
        (h, c) = (try Tensor(zeros: [H]), try Tensor(zeros: [H]))
        if rec.cell == .lstm {
            var cell = try LSTMCell<Float>(inputSize: X, hiddenSize: H, bias: rec.bias)
            for name in names { try cell.setParameter(name, try Self.tensor(model, name, layer)) }
            lstm = cell
        } else {
            var cell = try GRUCell<Float>(inputSize: X, hiddenSize: H, bias: rec.bias)
            for name in names { try cell.setParameter(name, try Self.tensor(model, name, layer)) }
            gru = cell
        }
    }

    static func tensor(_ model: SequenceModel<Float>, _ name: String, _ layer: Int) throws -> Tensor<Float> {
        let full = model.configuration.recurrentPrefix + name + "_l\(layer)"
        guard let t = model.parameters[full] else { throw RecurrentError.name("the model has no tensor '\(full)'") }
        return t
    }

    /// One step on x; returns each value by name.
    mutating func step(_ x: Tensor<Float>) throws -> [(String, [Float])] {
        if let lstm {
            let s = try lstm(x, state: .init(h: h, c: c))
            (h, c) = (s.h, s.c)
            return [("c", s.c.scalars), ("h", s.h.scalars), ("i", s.i.scalars), ("f", s.f.scalars), ("o", s.o.scalars), ("g", s.g.scalars)]
        }
        guard let gru else { return [] }
        let s = try gru(x, state: h)
        h = s.h
        return [("h", s.h.scalars), ("r", s.r.scalars), ("z", s.z.scalars), ("n", s.n.scalars)]
    }
}
