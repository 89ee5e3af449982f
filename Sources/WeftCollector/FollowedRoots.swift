#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directories a followed file may lie in once every symlink on its way is resolved: the literal directory of
/// each glob (`/var/log/containers` for `/var/log/containers/*.log`) and the configured extra roots (by default where
/// kubelet's and the runtimes' symlinks lead: `/var/log/pods`, `/var/lib/docker/containers`).
///
/// Why: a glob over a directory the log's writer controls (a sidecar's shared `emptyDir`, an application's log
/// directory) would otherwise let that writer plant `app.log -> /var/run/secrets/…/token` or `-> /etc/shadow` and
/// have Weft ship the target to the backend with Weft's privileges. The check is made on the file actually opened
/// (its descriptor's path in `/proc/self/fd`), so swapping the symlink between the check and the open gains nothing.
struct FollowedRoots {
    /// Configured roots beside the globs' own, as given.
    let extra: [String]
    let globs: [String]
    /// Every root with its own symlinks resolved, refreshed at each scan (a directory created later, or a root that
    /// is itself a symlink, as `/var/log` is on some systems).
    private(set) var resolved: [String] = []

    init(globs: [String], extra: [String]) {
        self.globs = globs
        self.extra = extra
        refresh()
    }

    mutating func refresh() {
        var roots: [String] = []
        for directory in globs.map(Globs.literalDirectory(of:)) + extra {
            roots.append(Self.resolve(directory) ?? directory)
        }
        resolved = roots
    }

    /// Whether `path` (fully resolved) lies in one of the roots.
    func contains(_ path: String) -> Bool {
        resolved.contains { root in
            root == "/" || path == root || (path.hasPrefix(root) && path.utf8.dropFirst(root.utf8.count).first == 0x2F)
        }
    }

    /// The resolved path of the file open on `fd` (from `/proc/self/fd`, which names what was opened whatever the
    /// path did since), or of `path` where `/proc` is not mounted; nil if neither can be told.
    static func realPath(of fd: Int32, path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        if count > 0 {
            let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("/") { return text }
        }
        return resolve(path)
    }

    static func resolve(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
