/// OpenTelemetry resource attributes read from where the kubelet and Docker put container logs.
///
/// Paths are matched by their last components, so a host directory mounted elsewhere (`/host/var/log/pods/…`) works
/// too. Called once per file; not on the hot path.
///
/// ```swift
/// KubernetesPath.resource(forPath: "/var/log/pods/shop_api-7d9_0b6c…/api/0.log")
/// // [("k8s.namespace.name", "shop"), ("k8s.pod.name", "api-7d9"), ("k8s.pod.uid", "0b6c…"),
/// //  ("k8s.container.name", "api"), ("k8s.container.restart_count", "0")]
/// ```
public enum KubernetesPath {
    /// The resource attributes a log file's path tells, in output order; empty for a path of no known shape.
    ///
    /// - `…/pods/<namespace>_<pod>_<pod-uid>/<container>/<restart-count>.log`, also the kubelet's rotated names
    ///   (`0.log.20260101-010101`, `0.log.20260101-010101.gz`): namespace, pod, pod uid, container, restart count.
    /// - `…/containers/<pod>_<namespace>_<container>-<64 hex id>.log` (the kubelet's symlinks): pod, namespace,
    ///   container, container id. A name the kubelet cut at 255 bytes no longer ends in the whole id: nothing.
    /// - `…/containers/<id>/<id>-json.log` (Docker json-file, also rotated `.1`, `.1.gz`): container id.
    public static func resource(forPath path: String) -> [(key: String, value: String)] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3 else { return [] }
        let file = parts[parts.count - 1]
        let parent = parts[parts.count - 2]
        let grandparent = parts[parts.count - 3]

        if grandparent == "containers", isContainerID(parent), let rest = file.dropPrefix(String(parent) + "-json.log"),
            rest.isEmpty || rest.hasPrefix(".")
        {
            return [("container.id", String(parent))]
        }
        if parent == "containers" {
            return symlinkResource(file)
        }
        if parts.count >= 4, parts[parts.count - 4] == "pods" {
            return podResource(directory: grandparent, container: parent, file: file)
        }
        return []
    }

    private static func podResource(
        directory: Substring, container: Substring, file: Substring
    ) -> [(key: String, value: String)] {
        let fields = directory.split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ !$0.isEmpty }), !container.isEmpty else { return [] }
        guard let dot = file.firstIndex(of: ".") else { return [] }
        let restarts = file[..<dot]
        guard !restarts.isEmpty, restarts.allSatisfy({ $0.isASCII && $0.isNumber }),
            let rest = file[dot...].dropPrefix(".log"), rest.isEmpty || rest.hasPrefix(".")
        else { return [] }
        return [
            ("k8s.namespace.name", String(fields[0])),
            ("k8s.pod.name", String(fields[1])),
            ("k8s.pod.uid", String(fields[2])),
            ("k8s.container.name", String(container)),
            ("k8s.container.restart_count", String(restarts)),
        ]
    }

    private static func symlinkResource(_ file: Substring) -> [(key: String, value: String)] {
        guard file.hasSuffix(".log") else { return [] }
        let name = file.dropLast(4)
        guard name.utf8.count > 65 else { return [] }
        let id = name.suffix(64)
        let head = name.dropLast(64)
        guard isContainerID(id), head.hasSuffix("-") else { return [] }
        let fields = head.dropLast().split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ !$0.isEmpty }) else { return [] }
        return [
            ("k8s.pod.name", String(fields[0])),
            ("k8s.namespace.name", String(fields[1])),
            ("k8s.container.name", String(fields[2])),
            ("container.id", String(id)),
        ]
    }

    private static func isContainerID(_ s: Substring) -> Bool {
        s.utf8.count == 64
            && s.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
            }
    }
}

extension Substring {
    /// The rest after `prefix`, or nil if it does not start with it.
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
