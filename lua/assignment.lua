--[[ assignment.lua (`.assignment`): which messages addressed to other processes this
process accepts (docs/compat.md §3.2 step 9, §3.4). Installs addAssignable, removeAssignable,
isAssignment and isAssignable on the ao table it is given.
]]

local utils = require(".utils")

return function(ao)
  ao.assignables = ao.assignables or {}

  -- The positions in the two assert texts are those of aos's bundled module, which
  -- users see in the error.
  --- addAssignable([name,] spec): let messages aimed at other processes in when they
  --- match. The spec is not checked (as in aos): a bad one fails when a message comes.
  function ao.addAssignable(...)
    local name, spec
    if select("#", ...) == 1 then
      spec = ...
    else
      name, spec = ...
      if type(name) ~= "string" then
        error('[string ".assignment"]:95: MatchSpec name MUST be a string', 0)
      end
    end
    if name then
      for _, a in ipairs(ao.assignables) do
        if a.name == name then
          a.pattern = spec
          return
        end
      end
    end
    ao.assignables[#ao.assignables + 1] = { pattern = spec, name = name }
  end

  --- removeAssignable(name | index); an unknown name or an index out of range is a no-op.
  function ao.removeAssignable(key)
    local list, at = ao.assignables, nil
    if type(key) == "string" then
      for i, a in ipairs(list) do
        if a.name == key then at = i break end
      end
    else
      if type(key) ~= "number" then
        error('[string ".assignment"]:133: index MUST be a number', 0)
      end
      at = key
    end
    if at == nil or at <= 0 or at > #list then return end
    table.remove(list, at)
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
