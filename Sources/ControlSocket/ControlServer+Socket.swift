import CUnixSocket
import Glibc

/// Making the listening socket (bound, given its group and mode, then listening) and
/// reading who a client is.
extension ControlServer {
    /// Binds a listening socket at `path`: bound, then its group and mode set, then listening.
    static func bind(path: String, mode: mode_t, group: gid_t?) throws(ControlSocketError) -> Int32 {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw .pathTooLong(path)
        }
        if ControlClient.isServed(path) { throw .inUse(path) }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var address = ControlClient.address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system("bind \(path)", code)
        }
        // Until listen() below, a connect is refused: the group and mode are final first.
        if let group, chown(path, uid_t.max, group) != 0 {
            let code = errno
            close(fd)
            unlink(path)
            throw .groupNotSet(path, code)
        }
        guard chmod(path, mode) == 0, listen(fd, 64) == 0, setNonBlocking(fd) else {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("listen on \(path)", code)
        }
        return fd
    }

    /// Who is on the other end of `fd`: `SO_PEERCRED` and `SO_PEERGROUPS`.
    static func peer(of fd: Int32) -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard gws_peer_credentials(fd, &pid, &uid, &gid) == 0 else {
            return PeerCredentials(pid: 0, uid: uid_t.max, gid: gid_t.max)
        }
        var groups = [gid_t](repeating: 0, count: 64)
        let count = gws_peer_groups(fd, &groups, Int32(groups.count))
        let supplementary = count > 0 ? Array(groups.prefix(Int(min(count, Int32(groups.count))))) : []
        return PeerCredentials(pid: pid, uid: uid, gid: gid, groups: supplementary)
    }

    static func setNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
    }
}
