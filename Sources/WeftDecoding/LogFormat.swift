/// The physical format of a log source: how one line of the file is turned into a ``WeftCore/LogLine``.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Decide from the first non-blank line (see ``LineDecoder/detectedFormat``).
    case auto
    /// Docker's `json-file` driver: one JSON object per line.
    case docker
    /// The CRI format that containerd and CRI-O write and the kubelet reads: `<time> <stream> <tags> <content>`.
    case cri
    /// Anything else: every line is content as it stands.
    case plain
}

/// The container runtime that wrote a source, as far as its lines tell (`container.runtime.name`).
public enum ContainerRuntime: String, Sendable {
    case docker
    case containerd
    case crio = "cri-o"
}
