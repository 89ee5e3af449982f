/// The physical format of a log source: how one line of the file is turned into a ``WeftCore/LogLine``.
///
/// The last six are what a tool adds when it prints logs to a pipe (`kubectl logs --prefix`, `docker compose logs`,
/// `stern`, `journalctl`): they are plain text to the ``LineDecoder`` and are taken apart by the ``PrefixDecoder``.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Decide from the first lines (see ``LineDecoder/detectedFormat`` and ``PrefixDecoder``).
    case auto
    /// Docker's `json-file` driver: one JSON object per line.
    case docker
    /// The CRI format that containerd and CRI-O write and the kubelet reads: `<time> <stream> <tags> <content>`.
    case cri
    /// Anything else: every line is content as it stands.
    case plain
    /// `RFC3339Nano text`, nine fractional digits: `kubectl logs --timestamps`, `docker logs -t`, `podman logs -t`.
    case timestamped
    /// `[pod/NAME/CONTAINER] text`, optionally with a timestamp after the prefix: `kubectl logs --prefix`.
    case kubectl
    /// `SERVICE-1  | text` (the name padded), optionally with a timestamp: `docker compose logs`.
    case compose
    /// `POD CONTAINER text`, optionally with a timestamp: `stern`'s default template.
    case stern
    /// `TIME HOST IDENT[PID]: text`: `journalctl` (`short`, `short-iso`, `short-precise`, `short-iso-precise`) and
    /// syslog files.
    case journal
    /// `journalctl -o json`: one JSON object per line with `MESSAGE` and `__REALTIME_TIMESTAMP`.
    case journalJSON = "journal-json"

    /// Whether lines of this format are plain text with a prefix for the ``PrefixDecoder`` to take apart.
    public var isPrefixed: Bool {
        switch self {
        case .auto, .docker, .cri, .plain: false
        case .timestamped, .kubectl, .compose, .stern, .journal, .journalJSON: true
        }
    }
}

/// The container runtime that wrote a source, as far as its lines tell (`container.runtime.name`).
public enum ContainerRuntime: String, Sendable {
    case docker
    case containerd
    case crio = "cri-o"
}
