# A plain Faye Bayeux server for the interop tests: long-polling at /faye, 5 s holds.
require 'faye'

Faye::WebSocket.load_adapter('thin')
run Faye::RackAdapter.new(mount: '/faye', timeout: 5)
