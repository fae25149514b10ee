--[[ chatroom: a room that relays every broadcast to its members (aos's chatroom blueprint).

State: Members, the list of registered process ids (kept when loaded again).
Actions (Action tag), each answered with a reply:
  Register    join ("Registered." / "Already registered.")
  Unregister  leave ("Unregistered" / "Not registered")
  Broadcast   send the Data to every member as Broadcast-Notice ("Broadcasted.")
]]

Members = Members or {}

local reply = Handlers.utils.reply

local function member_index(id)
  for i, member in ipairs(Members) do
    if member == id then return i end
  end
end

Handlers.add("register", "Register", function(msg)
  if member_index(msg.From) then
    reply("Already registered.")(msg)
  else
    table.insert(Members, msg.From)
    reply("Registered.")(msg)
  end
end)

Handlers.add("unregister", "Unregister", function(msg)
  local i = member_index(msg.From)
  if i then
    table.remove(Members, i)
    reply("Unregistered")(msg)
  else
    reply("Not registered")(msg)
  end
end)

Handlers.add("broadcast", "Broadcast", function(msg)
  local sent = {} -- a member listed twice gets one notice
  for _, member in ipairs(Members) do
    if not sent[member] then
      ao.send({ Target = member, Action = "Broadcast-Notice", Data = msg.Data })
      sent[member] = true
    end
  end
  reply("Broadcasted.")(msg)
end)
