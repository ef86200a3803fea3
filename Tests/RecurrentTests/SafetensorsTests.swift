import Foundation
import Testing
@testable import Recurrent

/// The bytes of a safetensors file: 8-byte little-endian header length, the header as is, the data.
func safetensorsFile(_ header: String, _ data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    return littleEndianBytes(headerLength ?? UInt64(text.count)) + text + data
}

/// One tensor entry of a header, as JSON.
func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    let dimensions = shape.map(String.init).joined(separator: ",")
    return "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(dimensions)],\"data_offsets\":[\(begin),\(end)]}"
}

@Suite("Safetensors")
struct SafetensorsTests {
    @Test("Float tensors and metadata survive encode and decode bit for bit, in order")
    func roundTripFloat() throws {
        let weight = try Tensor<Float>(shape: [2, 3], scalars: [1.5, -0.0, .nan, .infinity, 0x1p-149, -3])
        let bias = Tensor<Float>([0.25, -0.5])
        let metadata = ["format": "pt", "quote \"and\" \\ slash": "tab\there\nnewline", "ключ": "значение 😀"]
        let file = SafetensorsFile(tensors: [("z.weight", weight), ("a.bias", bias), ("scalar", Tensor<Float>(7))],
                                   metadata: metadata)
        let back = try SafetensorsFile<Float>.decode(file.encode(), name: "t.safetensors")
        #expect(back.names == ["z.weight", "a.bias", "scalar"])
        #expect(back.metadata == metadata)
        #expect(back.dtypes == ["z.weight": .float32, "a.bias": .float32, "scalar": .float32])
        for (name, tensor) in file.tensors {
            let read = try #require(back[name])
            #expect(read.shape == tensor.shape)
            #expect(read.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
        }
    }

    @Test("Double tensors survive encode and decode bit for bit as F64")
    func roundTripDouble() throws {
        let values: [Double] = [.pi, -0.0, .nan, .leastNonzeroMagnitude, -.infinity, 1e300]
        let file = SafetensorsFile(tensors: [("w", try Tensor(shape: [3, 1, 2], scalars: values))],
                                   metadata: ["epoch": "3"])
        let back = try SafetensorsFile<Double>.decode(file.encode(), name: "t.safetensors")
        #expect(back.dtypes["w"] == .float64)
        #expect(back["w"]?.shape == [3, 1, 2])
        #expect(back["w"]?.scalars.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(back.metadata == ["epoch": "3"])
    }

    @Test("encode writes the reference implementation's bytes for its own test vectors")
    func referenceVectors() throws {
        let values: [Float] = [0, 1, 2, 3, 4, 5]
        let file = SafetensorsFile(tensors: [("attn.0", try Tensor(shape: [1, 2, 3], scalars: values))])
        let json = "{" + entry("attn.0", "F32", [1, 2, 3], 0, 24) + "}"
        #expect(json.utf8.count == 64)
        #expect([UInt8](try file.encode()) == safetensorsFile(json, bytes(of: values)))

        let aligned = SafetensorsFile(tensors: [("attn0", try Tensor(shape: [1, 1, 2, 3], scalars: values))])
        let padded = "{" + entry("attn0", "F32", [1, 1, 2, 3], 0, 24) + "}" + String(repeating: " ", count: 7)
        #expect([UInt8](try aligned.encode()) == safetensorsFile(padded, bytes(of: values)))

        #expect([UInt8](try SafetensorsFile<Float>().encode()) == safetensorsFile("{}      "))
        let framework = SafetensorsFile<Float>(metadata: ["framework": "pt"])
        #expect([UInt8](try framework.encode()) == safetensorsFile("{\"__metadata__\":{\"framework\":\"pt\"}}     "))
    }

    @Test("Double tensors written as F32 read back rounded to Float; Float written as F64 reads back exactly")
    func explicitDTypes() throws {
        let doubles = SafetensorsFile(tensors: [("x", Tensor<Double>([0.1, 1e-50, 1e300]))])
        let asF32 = try SafetensorsFile<Double>.decode(doubles.encode(dtype: .float32), name: "t")
        #expect(asF32.dtypes["x"] == .float32)
        #expect(asF32["x"]?.scalars == [Double(Float(0.1)), 0, .infinity])
        let floats = SafetensorsFile(tensors: [("x", Tensor<Float>([0.1, -2]))])
        let asF64 = try SafetensorsFile<Double>.decode(floats.encode(dtype: .float64), name: "t")
        #expect(asF64["x"]?.scalars == [Double(Float(0.1)), -2])
    }

    @Test("F16 bit patterns decode to their exact values, subnormals, infinities and NaN included")
    func float16Values() throws {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0400, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x8000, 0x3555]
        let expected: [Double] = [1, -2, 65504, 0x1p-14, 0x1p-24, 1023 * 0x1p-24, .infinity, -.infinity, .nan, -0.0,
                                  0x1.554p-2]
        let data = bits.flatMap { littleEndianBytes($0) }
        let file = safetensorsFile("{" + entry("h", "F16", [11], 0, 22) + "}", data)
        let doubles = try SafetensorsFile<Double>.decode(Data(file), name: "h.safetensors")
        #expect(doubles.dtypes["h"] == .float16)
        #expect(sameBits(try #require(doubles["h"]).scalars, expected))
        let floats = try SafetensorsFile<Float>.decode(Data(file), name: "h.safetensors")
        #expect(sameBits(try #require(floats["h"]).scalars.map(Double.init), expected))
    }

    @Test("BF16 bit patterns decode to their exact values, subnormals, infinities and NaN included")
    func bfloat16Values() throws {
        let bits: [UInt16] = [0x3F80, 0xC000, 0x0001, 0x0080, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x8000, 0x4049]
        let expected: [Double] = [1, -2, 0x1p-133, 0x1p-126, 0x1.FEp127, .infinity, -.infinity, .nan, -0.0, 3.140625]
        let file = safetensorsFile("{" + entry("b", "BF16", [2, 5], 0, 20) + "}", bits.flatMap { littleEndianBytes($0) })
        let tensor = try #require(try SafetensorsFile<Double>.decode(Data(file), name: "b.safetensors")["b"])
        #expect(tensor.shape == [2, 5])
        #expect(sameBits(tensor.scalars, expected))
    }

    @Test("tensors written as F16 and BF16 read back rounded to nearest, ties to even")
    func narrowOutput() throws {
        let file = SafetensorsFile(tensors: [("x", Tensor<Double>([1 + 0x1p-11, 1 + 0x3p-11, 65520, 0x1p-25, -0.0]))])
        let half = try SafetensorsFile<Double>.decode(file.encode(dtype: .float16), name: "t")
        #expect(sameBits(try #require(half["x"]).scalars, [1, 1 + 0x1p-9, .infinity, 0, -0.0]))
        let brain = try SafetensorsFile<Double>.decode(file.encode(dtype: .bfloat16), name: "t")
        #expect(sameBits(try #require(brain["x"]).scalars, [1, 1, 65536, 0x1p-25, -0.0]))
    }

    @Test("lenient where the reference is: leading spaces, extra fields, null metadata, zero-size tensors, no tensors")
    func lenientHeaders() throws {
        let four = bytes(of: [Float]([1, 2]))
        let header = " {\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":[1]},"
            + entry("empty", "F32", [0, 3], 8, 8) + "}  "
        let file = try SafetensorsFile<Float>.decode(Data(safetensorsFile(header, four)), name: "t")
        #expect(file.names == ["a", "empty"])
        #expect(file["a"]?.scalars == [1, 2])
        #expect(file["empty"]?.shape == [0, 3])
        #expect(file.metadata.isEmpty)
        let none = try SafetensorsFile<Float>.decode(Data(safetensorsFile("{}")), name: "t")
        #expect(none.tensors.isEmpty)
        let repeatedKey = "{\"__metadata__\":{\"k\":\"first\",\"k\":\"last\"}}"
        #expect(try SafetensorsFile<Float>.decode(Data(safetensorsFile(repeatedKey)), name: "t").metadata == ["k": "last"])
    }

    @Test("tensors come back in offset order whatever the header order")
    func offsetOrder() throws {
        let header = "{" + entry("second", "F32", [1], 4, 8) + "," + entry("first", "F32", [1], 0, 4) + "}"
        let file = try SafetensorsFile<Float>.decode(Data(safetensorsFile(header, bytes(of: [Float]([1, 2])))), name: "t")
        #expect(file.names == ["first", "second"])
        #expect(file["second"]?.scalars == [2])
    }

    @Test("encode refuses a repeated name and the reserved name __metadata__")
    func encodeNames() throws {
        let twice = SafetensorsFile(tensors: [("w", Tensor<Float>(1)), ("w", Tensor<Float>(2))])
        let error = try #require(recurrentError { try twice.encode() })
        #expect(error == RecurrentError(.name, "tensor 'w' appears twice"))
        let reserved = SafetensorsFile(tensors: [("__metadata__", Tensor<Float>(1))])
        #expect(recurrentError { try reserved.encode() } == RecurrentError(.name, "a tensor cannot be named '__metadata__' in a safetensors file"))
    }

    @Test("a parameter store goes to a safetensors file and back with names, shapes and values")
    func parameterStore() throws {
        var store = ParameterStore<Float>()
        try store.append("weight_ih_l0", try Tensor(shape: [4, 2], scalars: (0..<8).map { Float($0) / 3 }))
        try store.append("bias_ih_l0", Tensor([0.5, -0.5, 1, -1]))
        let data = try store.safetensors(metadata: ["kind": "lstm"]).encode()
        let file = try SafetensorsFile<Float>.decode(data, name: "p.safetensors")
        #expect(file.metadata == ["kind": "lstm"])
        let back = try ParameterStore(safetensors: file)
        #expect(back == store)
    }
}
