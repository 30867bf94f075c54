// Placeholder entry point until the daemon lands (see the daemon issue).
print("gws-agentd: the daemon is not built yet")
