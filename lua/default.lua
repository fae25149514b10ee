--[[ default.lua (`.default`): the handler for messages nobody else handled. It keeps the
message in the Inbox (via the insert function it is given) and prints the grey
"New Message From" line the shell shows in its live feed (docs/compat.md §2.5).
]]

local colors = require(".stringify").colors

-- The line is aos's: From shortened to abc...xyz, the Action (or Data) cut at 20 bytes.
return function(insertInbox)
  return function(msg)
    insertInbox(msg)
    local from = msg.From
    local text = colors.gray .. "New Message From " .. colors.green ..
      (from and (from:sub(1, 3) .. "..." .. from:sub(-3)) or "unknown") .. colors.gray .. ": "
    if msg.Action then
      text = text .. colors.gray .. "Action = " .. colors.blue .. msg.Action:sub(1, 20) ..
        colors.reset
    else
      local data = msg.Data
      if type(data) == "table" then data = require("json").encode(data) end
      text = text .. colors.gray .. "Data = " .. colors.blue .. (data and data:sub(1, 20) or "") ..
        colors.reset
    end
    print(text)
  end
end
