# A third-party Bayeux client (Debian's ruby-faye) against gws-sim, for the interop test.
# Usage: ruby client.rb NOTIFICATIONS_URL AUTHORIZATION CHANNEL...
# Prints one JSON object per line: {"event":"subscribed"|"message"|"up"|"down"|"error",…}.
require 'faye'
require 'json'

$stdout.sync = true
url, authorization, *channels = ARGV

def report(event, fields = {})
  puts({ event: event }.merge(fields).to_json)
end

# The handshake and every later request carry the handshake count, so the test can tell
# a re-handshake from the first one.
class HandshakeCounter
  def initialize
    @handshakes = 0
  end

  def outgoing(message, callback)
    if message['channel'] == '/meta/handshake'
      @handshakes += 1
      report('handshake', count: @handshakes)
    end
    callback.call(message)
  end
end

EM.run do
  client = Faye::Client.new(url, timeout: 5, retry: 0.2)
  client.set_header('Authorization', authorization)
  client.disable('websocket')
  client.disable('eventsource')
  client.add_extension(HandshakeCounter.new)
  client.on('transport:up') { report('up') }
  client.on('transport:down') { report('down') }
  channels.each do |channel|
    subscription = client.subscribe(channel) do |data|
      report('message', channel: channel, data: data)
    end
    subscription.callback { report('subscribed', channel: channel) }
    subscription.errback { |error| report('error', channel: channel, error: error.message) }
  end
  Signal.trap('TERM') { client.disconnect; EM.add_timer(0.2) { EM.stop } }
end
