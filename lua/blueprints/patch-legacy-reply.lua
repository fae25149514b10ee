--[[ patch-legacy-reply: give every message a msg.reply, for processes whose aos predates it.

A handler at the front of the list that always continues: when the message has no reply
function it gets one that answers to Reply-To (or the target given, or the sender),
carrying X-Reference and X-Origin (empty when the message had none), so code written for
newer aos (Receive, .onReply on the other side) works unchanged.
]]

local function add_reply(msg)
  if msg.reply then return end
  msg.reply = function(answer)
    answer.Target = msg["Reply-To"] or answer.Target or msg.From
    answer["X-Reference"] = msg["X-Reference"] or msg.Reference or ""
    answer["X-Origin"] = msg["X-Origin"] or ""
    return ao.send(answer)
  end
end

Handlers.prepend("_patch_reply", function() return "continue" end, add_reply)
