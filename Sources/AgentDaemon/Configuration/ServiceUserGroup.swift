import Glibc

/// The daemon user's own group: the one group a password file may be readable by.
///
/// It is the primary group of the user the daemon runs as (sysusers.d gives `gws-agentd`
/// one of the same name), and only counts when nobody else is in it: no member listed in the
/// group database and no other user with it as primary group.
enum ServiceUserGroup {
    /// Why `gid` is not the service's own group, or `nil` when it is.
    static func refusal(_ gid: gid_t) -> String? {
        guard let user = getpwuid(geteuid()) else { return "and this process's user has no entry to compare with" }
        let own = user.pointee.pw_gid
        let name = groupName(gid)
        guard gid == own else {
            return "\(name), which is not the service user's own group (\(groupName(own)))"
        }
        if let members = otherMembers(of: gid), !members.isEmpty {
            return "\(name), which others are in too (\(members.prefix(3).joined(separator: ", ")))"
        }
        return nil
    }

    /// The group's name, or its number.
    static func groupName(_ gid: gid_t) -> String {
        guard let group = getgrgid(gid), let name = group.pointee.gr_name else { return "gid \(gid)" }
        return String(cString: name)
    }

    /// Users other than this process's who are in `gid`: listed members, and users with it
    /// as primary group. `nil` when the group has no entry.
    static func otherMembers(of gid: gid_t) -> [String]? {
        guard let group = getgrgid(gid) else { return nil }
        let me = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) }
        var members: [String] = []
        if var cursor = group.pointee.gr_mem {
            while let member = cursor.pointee {
                members.append(String(cString: member))
                cursor += 1
            }
        }
        setpwent()
        defer { endpwent() }
        while let entry = getpwent() {
            if entry.pointee.pw_gid == gid { members.append(String(cString: entry.pointee.pw_name)) }
        }
        return Array(Set(members.filter { $0 != me })).sorted()
    }
}
