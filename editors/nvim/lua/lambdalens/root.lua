-- Project root detection: the nearest directory, from the file upwards,
-- that holds one of the markers of the project model (vercel.json, an api/
-- folder, go.mod, pyproject.toml). Works on Neovim 0.7 (no vim.fs there).

local M = {}

local uv = vim.uv or vim.loop

--- The markers, checked in each directory from the file upwards; the first
--- directory holding any of them is the root.
---@type string[]
M.markers = { 'vercel.json', 'api', 'go.mod', 'pyproject.toml' }

--- The files the server follows (the Go and Python sources, the project's
--- configuration files), as autocmd patterns.
---@type string[]
M.patterns = { '*.go', '*.py', 'vercel.json', 'go.mod', 'pyproject.toml', 'requirements.txt', 'Pipfile' }

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function dirname(path)
  local d = path:match('^(.*)/[^/]*$')
  if d == nil or d == '' then
    return '/'
  end
  return d
end

--- find returns the project root of a file (an absolute path), or nil.
---@param file string
---@param markers? string[] default M.markers
---@return string|nil
function M.find(file, markers)
  markers = markers or M.markers
  if file == nil or file == '' or file:sub(1, 1) ~= '/' then
    return nil
  end
  local dir = dirname(file)
  -- Bounded: each step removes one path component.
  for _ = 1, 256 do
    for _, m in ipairs(markers) do
      if exists(dir .. '/' .. m) then
        return dir
      end
    end
    if dir == '/' then
      return nil
    end
    dir = dirname(dir)
  end
  return nil
end

--- followed reports whether the server follows a file of this name.
---@param file string
---@return boolean
function M.followed(file)
  local name = file:match('[^/]*$') or ''
  for _, p in ipairs(M.patterns) do
    if p:sub(1, 1) == '*' then
      if name:sub(-(#p - 1)) == p:sub(2) and #name > #p - 1 then
        return true
      end
    elseif name == p then
      return true
    end
  end
  return false
end

return M
