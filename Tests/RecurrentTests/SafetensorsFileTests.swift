import Foundation
import Testing
@testable import Recurrent

@Suite("Safetensors files")
struct SafetensorsFileTests {
    @Test("files written by safetensors (NumPy and PyTorch) read as the stored values, metadata and dtypes",
          arguments: ["f32.safetensors", "f64.safetensors", "f16.safetensors", "bf16.safetensors"])
    func referenceFiles(name: String) throws {
        let expected = try #require(try FormatFixtures.expected().safetensors[name])
        let url = FormatFixtures.url(name)
        let file = try SafetensorsFile<Double>.read(url)
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.names) == Set(expected.tensors.keys))
        for (tensorName, tensor) in expected.tensors {
            let read = try #require(file[tensorName])
            #expect(read.shape == tensor.shape)
            #expect(sameBits(read.scalars, tensor.doubles))
            #expect(file.dtypes[tensorName]?.rawValue == tensor.dtype)
        }
        if name != "f64.safetensors" {  // Every F32/F16/BF16 value is a Float: reading as Float is exact too.
            let floats = try SafetensorsFile<Float>.read(url)
            for (tensorName, tensor) in expected.tensors {
                #expect(sameBits(try #require(floats[tensorName]).scalars.map(Double.init), tensor.doubles))
            }
        }
    }

    @Test("encode reproduces the reference implementation's bytes", arguments: [
        ("f32.safetensors", SafetensorsDType.float32), ("f64.safetensors", .float64), ("f16.safetensors", .float16),
    ])
    func byteIdenticalToReference(name: String, dtype: SafetensorsDType) throws {
        let url = FormatFixtures.url(name)
        let file = try SafetensorsFile<Double>.read(url)
        #expect(try file.encode(dtype: dtype) == Data(contentsOf: url))
    }

    @Test("a file with an I64 tensor is refused naming the tensor and dtype, but its header still reads")
    func unsupportedReferenceFile() throws {
        let url = FormatFixtures.url("i64.safetensors")
        let error = try #require(recurrentError { try SafetensorsFile<Float>.read(url) })
        #expect(error.kind == .unsupported)
        #expect(error.message == "\(url.path): tensor 'ids' has dtype I64, which is not supported (F16, BF16, F32, F64 only)")
        let header = try SafetensorsHeader.read(url)
        #expect(header.entries == [.init(name: "ids", dtype: "I64", shape: [4], dataOffsets: 0..<32)])
        #expect(header.dataStart == 8 + 64)
    }

    @Test("write then read through a file gives everything back, replacing an existing file")
    func writeAndRead() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("m.safetensors")
            try SafetensorsFile(tensors: [("big", Tensor<Float>(zeros: [1000]))]).write(to: url)
            let file = SafetensorsFile(tensors: [("w", try Tensor<Double>([[1, 2], [3, 4]]))], metadata: ["a": "b"])
            try file.write(to: url)
            let back = try SafetensorsFile<Double>.read(url)
            #expect(back.names == ["w"])
            #expect(back["w"] == file["w"])
            #expect(back.metadata == ["a": "b"])
            try file.write(to: url, dtype: .bfloat16)
            #expect(try SafetensorsFile<Float>.read(url).dtypes == ["w": .bfloat16])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
        }
    }

    @Test("a missing file, a directory or a missing output directory is an .io error naming the path")
    func ioErrors() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-recurrent/m.safetensors")
        let readError = try #require(recurrentError { try SafetensorsFile<Float>.read(missing) })
        #expect(readError == RecurrentError(.io, "/nonexistent-recurrent/m.safetensors: no such file"))
        let directory = FormatFixtures.directory
        #expect(recurrentError { try SafetensorsFile<Float>.read(directory) } == RecurrentError(.io, "\(directory.path): is a directory, not a file"))
        let writeError = try #require(recurrentError { try SafetensorsFile<Float>().write(to: missing) })
        #expect(writeError.kind == .io)
        #expect(writeError.message == "/nonexistent-recurrent/m.safetensors: cannot write, directory /nonexistent-recurrent does not exist")
    }

    @Test("an empty file is refused as too short, not trapped on")
    func emptyFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("empty.safetensors")
            try Data().write(to: url)
            let error = try #require(recurrentError { try SafetensorsFile<Float>.read(url) })
            #expect(error == RecurrentError(.format, "\(url.path): file is 0 bytes, too short for the 8-byte header length"))
        }
    }
}
