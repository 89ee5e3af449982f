import Testing
import WeftDecoding

@Suite struct KubernetesPathTests {
    private func resource(_ path: String) -> [String] {
        KubernetesPath.resource(forPath: path).map { "\($0.key)=\($0.value)" }
    }

    static let id = "4e0301b633eaa2bfdcafdeba59ba0c72a3815911a6a820bf273534b0f32d98e0"
    static let uid = "0b6c4f1e-8a0c-4b7e-9d3a-2f1e5c6d7a8b"

    @Test(arguments: [
        "/var/log/pods/shop_api-7d9f8-x2x_\(uid)/api/0.log",
        "/var/log/pods/shop_api-7d9f8-x2x_\(uid)/api/0.log.20260101-010101",
        "/var/log/pods/shop_api-7d9f8-x2x_\(uid)/api/0.log.20260101-010101.gz",
        "/host/var/log/pods/shop_api-7d9f8-x2x_\(uid)/api/0.log",
    ])
    func podLogs(path: String) {
        #expect(
            resource(path) == [
                "k8s.namespace.name=shop", "k8s.pod.name=api-7d9f8-x2x", "k8s.pod.uid=\(Self.uid)",
                "k8s.container.name=api", "k8s.container.restart_count=0",
            ])
    }

    @Test func restartCount() {
        #expect(
            resource("/var/log/pods/kube-system_coredns-5d78c9869d-abcde_\(Self.uid)/coredns/12.log").last
                == "k8s.container.restart_count=12")
    }

    @Test func containerSymlinks() {
        #expect(
            resource("/var/log/containers/api-7d9f8-x2x_shop_api-server-\(Self.id).log") == [
                "k8s.pod.name=api-7d9f8-x2x", "k8s.namespace.name=shop", "k8s.container.name=api-server",
                "container.id=\(Self.id)",
            ])
    }

    @Test(arguments: [
        "/var/lib/docker/containers/\(id)/\(id)-json.log",
        "/var/lib/docker/containers/\(id)/\(id)-json.log.1",
        "/var/lib/docker/containers/\(id)/\(id)-json.log.2.gz",
        "/data/docker/containers/\(id)/\(id)-json.log",
    ])
    func dockerJSONFiles(path: String) {
        #expect(resource(path) == ["container.id=\(Self.id)"])
    }

    @Test(arguments: [
        "",
        "/",
        "-",
        "/var/log/syslog",
        "app.log",
        "/var/log/pods/shop_api/api/0.log",  // two fields, not three
        "/var/log/pods/shop_api_uid_extra/api/0.log",
        "/var/log/pods/shop__uid/api/0.log",
        "/var/log/pods/shop_api_\(uid)/api/x.log",
        "/var/log/pods/shop_api_\(uid)/api/0.txt",
        "/var/log/pods/shop_api_\(uid)/api/0.logs",
        "/var/log/containers/api_shop_api-\(id.dropLast()).log",  // id cut short (name over 255 bytes)
        "/var/log/containers/api_shop_api-\(id.uppercased()).log",
        "/var/log/containers/api_shop_api_\(id).log",
        "/var/log/containers/api_shop-\(id).log",
        "/var/log/containers/api_shop_api-\(id)",
        "/var/lib/docker/containers/\(id)/other-json.log",
        "/var/lib/docker/containers/abc/abc-json.log",
    ])
    func otherPaths(path: String) {
        #expect(resource(path).isEmpty)
    }
}
