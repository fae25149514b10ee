--[[ assignment.lua (`.assignment`): which messages addressed to other processes this
process accepts (docs/compat.md §3.2 step 9, §3.4). Installs addAssignable, removeAssignable,
isAssignment and isAssignable on the ao table it is given.
]]

local utils = require(".utils")

return function(ao)
  ao.assignables = ao.assignables or {}

  --- addAssignable([name,] spec): let messages aimed at other processes in when they match.
  function ao.addAssignable(...)
    local name, spec
    if select("#", ...) >= 2 then
      name, spec = ...
      if type(name) ~= "string" then error("MatchSpec name MUST be a string", 2) end
    else
      spec = ...
    end
    local ts = type(spec)
    if ts ~= "table" and ts ~= "function" and ts ~= "string" then
      error("MatchSpec must be a table, function or Action string, got " .. ts, 2)
    end
    if name then
      for _, a in ipairs(ao.assignables) do
        if a.name == name then
          a.pattern = spec
          return
        end
      end
    end
    ao.assignables[#ao.assignables + 1] = { name = name, pattern = spec }
  end

  function ao.removeAssignable(key)
    local list = ao.assignables
    if type(key) == "number" then
      if key < 1 or key > #list or math.type(key) ~= "integer" then
        error("index MUST be between 1 and #ao.assignables (" .. #list .. "), got " ..
          tostring(key), 2)
      end
      table.remove(list, key)
      return
    end
    if type(key) ~= "string" then
      error("ao.removeAssignable: expected a name or an index, got " .. type(key), 2)
    end
    for i, a in ipairs(list) do
      if a.name == key then
        table.remove(list, i)
        return
      end
    end
  end

  function ao.isAssignment(msg)
    return msg.Target ~= nil and msg.Target ~= "" and msg.Target ~= ao.id
  end

  function ao.isAssignable(msg)
    for _, a in ipairs(ao.assignables) do
      if utils.matchesSpec(msg, a.pattern) then return true end
    end
    return false
  end

  return ao
end
