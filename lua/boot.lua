--[[ boot.lua (`.boot`): the one-shot `_boot` handler run on the process's own (spawn)
message. It puts that message in the Inbox and, with the tag `On-Boot=Data`, evaluates the
message Data as Lua, like an Eval (docs/compat.md §3.8).
]]

return function(ao)
  local eval = require(".eval")(ao)
  return function(msg)
    if #Inbox == 0 then Inbox[1] = msg end
    local onboot = msg["On-Boot"]
    if onboot == "Data" then
      eval(msg)
    elseif type(onboot) == "string" and onboot ~= "" then
      -- A transaction id: aos reads it through WeaveDrive, which this node does not have.
      print("On-Boot=" .. onboot .. " was not run: loading code from a transaction " ..
        "needs WeaveDrive; use On-Boot=Data with the code as the process Data")
    end
  end
end
