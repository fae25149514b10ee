--[[ chat: the DevChat client. Talk in chat rooms (chatroom processes) from the prompt.

  List()                        ask the DevChat router for the rooms it knows
  Join(room [, nickname])       register with a room (by name or process id)
  Say(text [, room])            broadcast to a room (the last one used by default)
  Tip([recipient, room, qty])   send a room token to the last sender
  Replay([depth, room])         ask a room for its last messages
  Leave(room)                   unregister

Loading it joins the Getting-Started room and returns the help text. Broadcasts and the
room list arrive as messages and are printed (DevChat-Broadcasted, DevChat-List).
]]

DevChat = {}
DevChat.Router = "8MGp9kOU4JYxAlPT1AyL7O3cedd97y-w8X4ciBsf_Xo"
DevChat.InitRoom = "6I1JBBc9SOMtqFxlX7OoYgsMh7QeZk2fFwUCHTUqshg"
DevChat.LastSend = DevChat.LastSend or DevChat.InitRoom
DevChat.LastReceive = { Room = DevChat.InitRoom, Sender = nil }
DevChat.InitRooms = { [DevChat.InitRoom] = "Getting-Started" }
DevChat.Rooms = DevChat.Rooms or DevChat.InitRooms
DevChat.Confirmations = DevChat.Confirmations or true

local gray, blue, green, red, reset = Colors.gray, Colors.blue, Colors.green, Colors.red,
  Colors.reset

--- The address of a room known by name, or nil.
function DevChat.findRoom(name)
  for address, room in pairs(DevChat.Rooms) do
    if room == name then return address end
  end
end

--- Register a room (name, address; this process by default) with the router.
function DevChat.add(name, address)
  ao.send({ Target = DevChat.Router, Action = "Register", Name = name or Name,
    Address = address or ao.id })
end

function List()
  ao.send({ Target = DevChat.Router, Action = "Get-List" })
  return gray .. "Getting the room list from the DevChat index..." .. reset
end

function Join(room, nickname)
  local address = DevChat.findRoom(room) or room
  ao.send({ Target = address, Action = "Register", Nickname = nickname or ao.id or Name })
  return gray .. "Registering with room " .. blue .. room .. gray .. "..." .. reset
end

function Say(text, room)
  if room ~= nil then
    -- The room named becomes the default for the next Say.
    DevChat.LastSend = DevChat.findRoom(room) or room
  end
  local shown = DevChat.Rooms[DevChat.LastSend] or room
  ao.send({ Target = DevChat.LastSend, Action = "Broadcast", Data = text })
  if not DevChat.Confirmations then return "" end
  return gray .. "Broadcasting to " .. blue .. shown .. gray .. "..." .. reset
end

function Tip(recipient, room, quantity)
  room = room or DevChat.LastReceive.Room
  local shown = DevChat.Rooms[room] or room
  local qty = tostring(quantity or 1)
  recipient = recipient or DevChat.LastReceive.Sender
  ao.send({ Action = "Transfer", Target = room, Recipient = recipient, Quantity = qty })
  return gray .. "Sent tip of " .. green .. qty .. gray .. " to " .. red .. recipient ..
    gray .. " in room " .. blue .. shown .. gray .. "."
end

function Replay(depth, room)
  local address
  if depth then
    address = DevChat.findRoom(room) or room
  else
    address = DevChat.LastReceive.Room
  end
  local shown = DevChat.Rooms[address] or address
  depth = depth or 3
  ao.send({ Target = address, Action = "Replay", Depth = tostring(depth) })
  return gray .. "Requested replay of the last " .. green .. depth .. gray ..
    " messages from " .. blue .. shown .. reset .. "."
end

function Leave(room)
  local address = DevChat.findRoom(room) or room
  ao.send({ Target = address, Action = "Unregister" })
  return gray .. "Leaving room " .. blue .. room .. gray .. "..." .. reset
end

Handlers.add("DevChat-Broadcasted", Handlers.utils.hasMatchingTag("Action", "Broadcasted"),
  function(m)
    local room = DevChat.Rooms[m.From] or string.sub(m.From, 1, 6)
    if m.Broadcaster == ao.id and DevChat.Confirmations == true then
      print(gray .. "[Received confirmation of your broadcast in " .. blue .. room .. gray ..
        ".]" .. reset)
    end
    local nick = string.sub(m.Nickname, 1, 10)
    if m.Broadcaster ~= m.Nickname then
      nick = nick .. gray .. "#" .. string.sub(m.Broadcaster, 1, 3)
    end
    print("[" .. red .. nick .. reset .. "@" .. blue .. room .. reset .. "]> " .. green ..
      m.Data .. reset)
    DevChat.LastReceive.Room = m.From
    DevChat.LastReceive.Sender = m.Broadcaster
  end)

Handlers.add("DevChat-List",
  function(m) return m.Action == "Room-List" and m.From == DevChat.Router end,
  function(m)
    local rows = ""
    DevChat.Rooms = DevChat.InitRooms
    -- Every tag Room-<name> = <address> is a room.
    for _, tag in ipairs(m.TagArray) do
      if string.sub(tag.name, 1, 5) == "Room-" then
        local name = string.sub(tag.name, 6)
        rows = rows .. blue .. "        " .. name .. reset .. "\n"
        DevChat.Rooms[tag.value] = name
      end
    end
    print("👋 The following rooms are currently available on DevChat:\n\n" .. rows ..
      "\nJoin a chat by running `Join(\"chatName\"[, \"yourNickname\"])`! You can leave " ..
      "chats with `Leave(\"name\")`.")
  end)

if DevChatRegistered == nil then
  DevChatRegistered = true
  Join(DevChat.InitRoom)
end

function help()
  local function item(call, what) return green .. "\t\t`" .. call .. "`" .. reset .. what end
  return blue .. "\n\nWelcome to ao DevChat v0.1!\n\n" .. reset ..
    "DevChat is a simple service that helps the ao community communicate as we build our " ..
    "new computer.\nThe interface is simple. Run...\n\n" ..
    item("List()", " to see which rooms are available.\n") ..
    item("Join(\"RoomName\")", " to join a room.\n") ..
    item("Say(\"Msg\", \"RoomName\") or Say(\"Msg\", \"RoomName1\", \"RoomName2\")",
      " to post to a room (remembering your last choice for next time).\n") ..
    item("Replay(Count, \"RoomName\") e.g. Replay(1, \"Getting-Started\")",
      " to reprint the most recent messages from a chat.\n") ..
    item("Leave(\"RoomName\")", " at any time to unsubscribe from a chat.\n") ..
    item("Tip([\"Recipient\"])",
      " to send a token from the chatroom to the sender of the last message.\n\n") ..
    "You have already been registered to the " .. blue .. DevChat.Rooms[DevChat.InitRoom] ..
    reset .. ".\nHave fun, be respectful, and remember: Cypherpunks ship code! 🫡"
end

return help()
