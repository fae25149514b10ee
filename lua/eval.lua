--[[ eval.lua (`.eval`): the handler behind Action=Eval (docs/compat.md §3.9).

The Data is compiled as `return <Data>` first (an expression), then as statements, with
the chunk name "aos". A compile error becomes the message's Error as is; a runtime error
propagates to the process (which adds the print log and the red "error:" line). A truthy
value is added to the print log uncoloured (tables through stringify); a truthy second
return value is reported as the Error, as aos does.
]]

local stringify = require(".stringify")

return function(ao)
  return function(msg)
    local code = msg.Data
    if type(code) ~= "string" then code = "" end
    local fn, err = load("return " .. code, "aos", "t", _G)
    if not fn then fn, err = load(code, "aos", "t", _G) end
    if not fn then
      ao.outbox.Error = err
      return
    end
    local output, e = fn()
    if e then
      ao.outbox.Error = e
      return
    end
    if output then
      local logs = HANDLER_PRINT_LOGS
      if type(output) == "table" then
        logs[#logs + 1] = stringify.format(output)
      else
        logs[#logs + 1] = tostring(output)
      end
    end
  end
end
