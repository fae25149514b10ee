--[[ default.lua (`.default`): the handler for messages nobody else handled. It keeps the
message in the Inbox (via the insert function it is given) and prints the grey
"New Message From" line the shell shows in its live feed (docs/compat.md §2.5).
]]

local colors = require(".stringify").colors

local function short(id)
  if type(id) ~= "string" then return tostring(id) end
  return string.sub(id, 1, 3) .. "..." .. string.sub(id, -3)
end

return function(insertInbox)
  return function(msg)
    insertInbox(msg)
    local what
    if msg.Action ~= nil then
      what = "Action = " .. colors.blue .. tostring(msg.Action)
    else
      local data = msg.Data
      if type(data) == "table" then data = require("json").encode(data) end
      what = "Data = " .. colors.blue .. string.sub(tostring(data), 1, 20)
    end
    print(colors.gray .. "New Message From " .. colors.green .. short(msg.From) ..
      colors.gray .. ": " .. colors.gray .. what .. colors.reset)
  end
end
