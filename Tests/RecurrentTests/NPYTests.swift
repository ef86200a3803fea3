import Foundation
import Testing
@testable import Recurrent

/// The bytes of a `.npy` file with the given version, header text (used as is) and data.
private func npyFile(major: UInt8 = 1, header: String, data: [UInt8]) -> [UInt8] {
    let text = Array(header.utf8)
    let length = major == 1 ? littleEndianBytes(UInt16(text.count)) : littleEndianBytes(UInt32(text.count))
    return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data
}

private func header(_ descr: String = "<f4", fortran: String = "False", shape: String) -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }\n"
}

private let specialFloats: [Float] = [0, -0.0, 1.5, -2.25, .infinity, -.infinity, .nan,
                                      .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, -0x1p-133, 3]

@Suite("NPY")
struct NPYTests {
    @Test("Float tensors of rank 0, 1 and 3 survive encode and read bit for bit", arguments: [[], [12], [2, 3, 2]])
    func roundTripFloat(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let tensor = try Tensor(shape: shape, scalars: Array(specialFloats.prefix(count)))
        let back = try NPY.read(data: NPY.encode(tensor), name: "t.npy", as: Float.self)
        #expect(back.shape == shape)
        #expect(back.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
    }

    @Test("Double tensors of rank 0, 1 and 3 survive encode and read bit for bit", arguments: [[], [5], [2, 1, 3]])
    func roundTripDouble(shape: [Int]) throws {
        let values: [Double] = [.pi, -0.0, .nan, .leastNonzeroMagnitude, -.infinity, 1e300]
        let tensor = try Tensor(shape: shape, scalars: Array(values.prefix(shape.reduce(1, *))))
        let back = try NPY.read(data: NPY.encode(tensor), name: "t.npy", as: Double.self)
        #expect(back.shape == shape)
        #expect(back.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
    }

    @Test("encode writes version 1.0 with NumPy's header text, padded so data starts at a multiple of 64")
    func encodedLayout() throws {
        let data = [UInt8](NPY.encode(try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])))
        #expect(Array(data.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data.count == 10 + headerLength + 24)
        let text = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "))
        #expect(text.hasSuffix(" \n"))
        #expect(Array(data.suffix(24)) == bytes(of: [Float]([1, 2, 3, 4, 5, 6])))
        let double = [UInt8](NPY.encode(Tensor<Double>(7)))
        #expect(String(decoding: double[10..<74], as: UTF8.self).hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (), }"))
    }

    @Test("encode switches to version 2.0 when the header does not fit in 65535 bytes")
    func version2WhenNeeded() throws {
        let tensor = try Tensor<Float>(shape: Array(repeating: 1, count: 30_000), scalars: [2.5])
        let data = [UInt8](NPY.encode(tensor))
        #expect(Array(data.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [2, 0])
        let headerLength = data[8..<12].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength > 65535)
        #expect((12 + headerLength) % 64 == 0)
        let back = try NPY.read(data: Data(data), name: "big.npy", as: Float.self)
        #expect(back == tensor)
    }

    @Test("a hand-built version 1.0 float32 file reads as its shape and exact values")
    func handBuiltVersion1() throws {
        let file = npyFile(header: header(shape: "(2, 2)"), data: bytes(of: [Float]([1, -0.5, 3.25, 1e-3])))
        let tensor = try NPY.read(data: Data(file), name: "x.npy", as: Float.self)
        #expect(tensor.shape == [2, 2])
        #expect(tensor.scalars == [1, -0.5, 3.25, 1e-3])
        let widened = try NPY.read(data: Data(file), name: "x.npy", as: Double.self)
        #expect(widened.scalars == [1, -0.5, 3.25, Double(Float(1e-3))])
    }

    @Test("version 2.0 and 3.0 headers (32-bit length, 3.0 in UTF-8) read the same", arguments: [UInt8(2), 3])
    func laterVersions(major: UInt8) throws {
        let file = npyFile(major: major, header: header("<f8", shape: "(3,)"), data: bytes(of: [0.1, -2, 1e300]))
        let tensor = try NPY.read(data: Data(file), name: "x.npy", as: Double.self)
        #expect(tensor.shape == [3])
        #expect(tensor.scalars == [0.1, -2, 1e300])
    }

    @Test("float64 data read as Float rounds to nearest")
    func narrowing() throws {
        let file = npyFile(header: header("<f8", shape: "(2,)"), data: bytes(of: [0.1, 1 + 0x1p-30]))
        #expect(try NPY.read(data: Data(file), name: "x.npy", as: Float.self).scalars == [Float(0.1), 1])
    }

    @Test("headers parse with keys in any order, other quotes and spacing, no trailing comma, () and (n,)",
          arguments: [
              ("{'shape': (3,), 'fortran_order': False, 'descr': '<f4'}", [3]),
              ("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(1,3,)}", [1, 3]),
              ("{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 3 , ) }  \n", [3]),
              ("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 1L), }", [3, 1]),
              ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 3, 1), }", [1, 1, 3, 1]),
          ])
    func robustHeaders(text: String, shape: [Int]) throws {
        let file = npyFile(header: text, data: bytes(of: [Float]([1, 2, 3])))
        let tensor = try NPY.read(data: Data(file), name: "x.npy", as: Float.self)
        #expect(tensor.shape == shape)
        #expect(tensor.scalars == [1, 2, 3])
    }

    @Test("a 0-d header '()' reads one value")
    func scalarHeader() throws {
        let file = npyFile(header: header(shape: "()"), data: bytes(of: [Float(-4.5)]))
        let tensor = try NPY.read(data: Data(file), name: "x.npy", as: Float.self)
        #expect(tensor.shape == [])
        #expect(tensor.scalars == [-4.5])
    }

    static let malformed: [MalformedCase] = {
        let four = bytes(of: [Float]([1, 2, 3, 4]))
        let valid = npyFile(header: header(shape: "(4,)"), data: four)
        return [
            MalformedCase(label: "int64 dtype", bytes: npyFile(header: header("<i8", shape: "(2,)"), data: four),
                          kind: .unsupported, message: "dtype '<i8' is not supported (float32 or float64 little-endian only)"),
            MalformedCase(label: "big-endian float32", bytes: npyFile(header: header(">f4", shape: "(4,)"), data: four),
                          kind: .unsupported, message: "dtype '>f4' is not supported (float32 or float64 little-endian only)"),
            MalformedCase(label: "float16", bytes: npyFile(header: header("<f2", shape: "(8,)"), data: four),
                          kind: .unsupported, message: "dtype '<f2' is not supported (float32 or float64 little-endian only)"),
            MalformedCase(label: "uint8", bytes: npyFile(header: header("|u1", shape: "(16,)"), data: four),
                          kind: .unsupported, message: "dtype '|u1' is not supported (float32 or float64 little-endian only)"),
            MalformedCase(label: "structured dtype",
                          bytes: npyFile(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}", data: four),
                          kind: .unsupported, message: "structured dtypes are not supported (float32 or float64 little-endian only)"),
            MalformedCase(label: "fortran order", bytes: npyFile(header: header(fortran: "True", shape: "(2, 2)"), data: four),
                          kind: .unsupported, message: "fortran_order True (column-major data) is not supported, save in C order"),
            MalformedCase(label: "bad magic", bytes: [0x93] + Array("NUMPZ".utf8) + valid.dropFirst(6),
                          kind: .format, message: "not a .npy file (bad magic string, expected \\x93NUMPY)"),
            MalformedCase(label: "empty file", bytes: [], kind: .format, message: "file is empty, not a .npy file"),
            MalformedCase(label: "unknown version", bytes: Array(valid.prefix(6)) + [4, 0] + valid.dropFirst(8),
                          kind: .unsupported, message: ".npy format version 4.0 is not supported (1.0, 2.0, 3.0 only)"),
            MalformedCase(label: "truncated data", bytes: Array(valid.dropLast(3)),
                          kind: .format, message: "truncated data: shape (4) of float32 needs 16 bytes of data, the file has 13"),
            MalformedCase(label: "extra data", bytes: valid + [0, 0, 0, 0],
                          kind: .format, message: "extra data: shape (4) of float32 needs 16 bytes of data, the file has 20"),
            MalformedCase(label: "truncated header", bytes: Array(valid.prefix(30)),
                          kind: .format, message: "truncated file: the 58-byte header runs past the end of the file (30 bytes)"),
            MalformedCase(label: "truncated header length", bytes: Array(valid.prefix(9)),
                          kind: .format, message: "truncated file: 9 bytes, ends inside the header length"),
            MalformedCase(label: "unparsable header", bytes: npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,", data: four),
                          kind: .format, message: "header does not parse: unexpected end of header at character 53"),
            MalformedCase(label: "not a dict", bytes: npyFile(header: "[1, 2]", data: four),
                          kind: .format, message: "header is not a dictionary"),
            MalformedCase(label: "missing shape", bytes: npyFile(header: "{'descr': '<f4', 'fortran_order': False}", data: four),
                          kind: .format, message: "header has no 'shape' key"),
            MalformedCase(label: "unexpected key", bytes: npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", data: four),
                          kind: .format, message: "header has an unexpected key 'x'"),
            MalformedCase(label: "shape not a tuple", bytes: npyFile(header: header(shape: "[4]"), data: four),
                          kind: .format, message: "header 'shape' is not a tuple"),
            MalformedCase(label: "negative dimension", bytes: npyFile(header: header(shape: "(-4,)"), data: four),
                          kind: .format, message: "header 'shape' holds something other than non-negative integers"),
            MalformedCase(label: "fortran_order not a bool", bytes: npyFile(header: header(fortran: "0", shape: "(4,)"), data: four),
                          kind: .format, message: "header 'fortran_order' is not True or False"),
            MalformedCase(label: "overflowing shape", bytes: npyFile(header: header(shape: "(4294967296, 4294967296)"), data: four),
                          kind: .format, message: "shape (4294967296, 4294967296) is too large"),
            MalformedCase(label: "deep nesting", bytes: npyFile(header: String(repeating: "(", count: 100), data: four),
                          kind: .format, message: "header does not parse: nesting too deep at character 32"),
        ]
    }()

    @Test("each malformed or unsupported file gives its own one-line error naming the file", arguments: malformed)
    func malformedFiles(testCase: MalformedCase) throws {
        let error = try #require(recurrentError { try NPY.read(data: Data(testCase.bytes), name: "x.npy", as: Float.self) })
        #expect(error.kind == testCase.kind)
        #expect(error.message == "x.npy: " + testCase.message)
    }

    @Test("the malformed cases all give different messages")
    func distinctMessages() {
        let messages = Self.malformed.compactMap { testCase in
            recurrentError { try NPY.read(data: Data(testCase.bytes), name: "x.npy", as: Float.self) }?.message
        }
        #expect(messages.count == Self.malformed.count)
        #expect(Set(messages).count == messages.count)
    }
}

@Suite("NPY files")
struct NPYFileTests {
    @Test("files written by numpy.save read as the values NumPy stored", arguments: [
        "f32_2x3.npy", "f32_specials.npy", "f64_scalar.npy", "f64_2x3x2.npy", "f64_empty_0x3.npy",
        "f32_2x3_v2.npy", "f32_2x3_v3.npy",
    ])
    func numpyFixtures(name: String) throws {
        let expected = try #require(try FormatFixtures.expected().npy[name])
        let tensor = try NPY.read(FormatFixtures.url(name), as: Double.self)
        #expect(tensor.shape == expected.shape)
        #expect(sameBits(tensor.scalars, expected.doubles))
        if expected.dtype == "<f4" {
            let floats = try NPY.read(FormatFixtures.url(name), as: Float.self)
            #expect(sameBits(floats.scalars.map(Double.init), expected.doubles))
        }
    }

    @Test("encode reproduces numpy.save's bytes exactly", arguments: [
        "f32_2x3.npy", "f32_specials.npy", "f64_scalar.npy", "f64_2x3x2.npy", "f64_empty_0x3.npy",
    ])
    func byteIdenticalToNumPy(name: String) throws {
        let url = FormatFixtures.url(name)
        let original = try Data(contentsOf: url)
        let encoded = name.hasPrefix("f32")
            ? NPY.encode(try NPY.read(url, as: Float.self))
            : NPY.encode(try NPY.read(url, as: Double.self))
        #expect(encoded == original)
    }

    @Test("NumPy files with int64, Fortran order or big-endian data are refused by name", arguments: [
        ("i64.npy", "dtype '<i8' is not supported (float32 or float64 little-endian only)"),
        ("f32_fortran.npy", "fortran_order True (column-major data) is not supported, save in C order"),
        ("f32_big_endian.npy", "dtype '>f4' is not supported (float32 or float64 little-endian only)"),
    ])
    func refusedFixtures(name: String, reason: String) throws {
        let url = FormatFixtures.url(name)
        #expect(recurrentError { try NPY.read(url, as: Float.self) } == RecurrentError(.unsupported, "\(url.path): \(reason)"))
    }

    @Test("write then read through a file gives the tensor back, replacing an existing file")
    func writeAndRead() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("t.npy")
            try NPY.write(Tensor<Float>(shape: [300, 10], repeating: 2), to: url)
            let small = try Tensor<Float>(shape: [2], scalars: [1, -1])
            try NPY.write(small, to: url)
            #expect(try NPY.read(url, as: Float.self) == small)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(leftovers == ["t.npy"])
        }
    }

    @Test("a missing input file or output directory is an .io error naming the path")
    func ioErrors() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-recurrent/x.npy")
        let readError = try #require(recurrentError { try NPY.read(missing, as: Float.self) })
        #expect(readError.kind == .io)
        #expect(readError.message == "/nonexistent-recurrent/x.npy: no such file")
        let writeError = try #require(recurrentError { try NPY.write(Tensor<Float>(1), to: missing) })
        #expect(writeError.kind == .io)
        #expect(writeError.message == "/nonexistent-recurrent/x.npy: cannot write, directory /nonexistent-recurrent does not exist")
    }

    @Test("a device or a pipe given as an input file is refused as not a regular file, not read")
    func deviceAndPipeInputs() throws {
        let device = try #require(recurrentError { try NPY.read(URL(fileURLWithPath: "/dev/zero"), as: Float.self) })
        #expect(device == RecurrentError(.io, "/dev/zero: is not a regular file (a device, pipe or socket)"))
        try withTemporaryDirectory { directory in
            let pipe = directory.appendingPathComponent("x.npy")
            #expect(mkfifo(pipe.path, 0o600) == 0)
            let error = try #require(recurrentError { try NPY.read(pipe, as: Float.self) })
            #expect(error == RecurrentError(.io, "\(pipe.path): is not a regular file (a device, pipe or socket)"))
        }
    }

    @Test("a float64 value beyond float32's range is refused when read as Float, by index and value (it became inf)")
    func float64BeyondFloatRange() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("x.npy")
            try NPY.write(Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, -1e300]), to: url)
            #expect(recurrentError { try NPY.read(url, as: Float.self) }?.message
                == "\(url.path): element [1, 1] is -1e+300, beyond float32's range (±3.4e38)")
            #expect(try NPY.read(url, as: Double.self).scalars[3] == -1e300)
            try NPY.write(Tensor<Double>(shape: [2], scalars: [.infinity, 1]), to: url)
            #expect(try NPY.read(url, as: Float.self).scalars[0] == .infinity)   // a true inf stays for the caller to refuse
        }
    }
}
