// Formats: files. Safetensors (read, validated, written atomically), .npy, strict JSON, reduced
// precision, and `TorchStateDict`, which reads a recurrent module's architecture from PyTorch's
// tensor names and shapes. Above the layers: it builds networks, and nothing below names it.
