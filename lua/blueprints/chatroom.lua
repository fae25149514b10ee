--[[ chatroom: a members list and a broadcast to all of them.

Load with `.load-blueprint chatroom`. State (global): Members, a list of process ids in
the order they registered (kept when the blueprint is loaded again).

Actions (Action tag):
  Register    add the sender; reply "Registered." or "Already registered."
  Unregister  remove the sender; reply "Unregistered" or "Not registered"
  Broadcast   send Action = Broadcast-Notice, Broadcaster = sender, Data = msg.Data to every
              member; reply "Broadcasted."
]]

Members = Members or {}

local function member_index(id)
  for i, member in ipairs(Members) do
    if member == id then return i end
  end
  return nil
end

Handlers.add("Register", "Register", function(msg)
  if member_index(msg.From) then
    msg.reply({ Data = "Already registered." })
    return
  end
  table.insert(Members, msg.From)
  msg.reply({ Data = "Registered." })
end)

Handlers.add("Unregister", "Unregister", function(msg)
  local i = member_index(msg.From)
  if not i then
    msg.reply({ Data = "Not registered" })
    return
  end
  table.remove(Members, i)
  msg.reply({ Data = "Unregistered" })
end)

Handlers.add("Broadcast", "Broadcast", function(msg)
  local data = msg.Data
  if type(data) ~= "string" then
    error("Broadcast: the message Data must be text, got a " .. type(data), 0)
  end
  for _, member in ipairs(Members) do
    ao.send({ Target = member, Action = "Broadcast-Notice", Broadcaster = msg.From, Data = data })
  end
  msg.reply({ Data = "Broadcasted." })
end)
