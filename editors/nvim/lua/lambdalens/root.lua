-- Project root detection, as the project model decides (and as the VS Code
-- extension's projectReason does): the nearest directory, from the file
-- upwards, that holds vercel.json; else the outermost one that is a project
-- by itself: it has an api/ folder, go.mod with a Go server entry file, or a
-- Python manifest with an app entry file. Works on Neovim 0.7 (no vim.fs
-- there) and with Windows paths.

local M = {}

local uv = vim.uv or vim.loop

--- Custom markers (setup's `markers` option): when set, the root is the
--- nearest directory holding any of them, and the rules above are off.
---@type string[]|nil
M.markers = nil

--- Go standalone server entry files (project/discover.go).
M.go_server_files = { 'main.go', 'cmd/api/main.go', 'cmd/server/main.go' }

--- Python manifests and app entry files (project/discover.go).
M.python_manifests = { 'pyproject.toml', 'requirements.txt', 'Pipfile' }
M.python_app_files = {}
for _, dir in ipairs({ '', 'src/', 'app/' }) do
  for _, name in ipairs({ 'app', 'index', 'server', 'main', 'wsgi', 'asgi' }) do
    table.insert(M.python_app_files, dir .. name .. '.py')
  end
end

--- The files the server follows (the Go and Python sources, the project's
--- configuration files), as autocmd patterns.
---@type string[]
M.patterns = { '*.go', '*.py', 'vercel.json', 'go.mod', 'pyproject.toml', 'requirements.txt', 'Pipfile' }

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- normalize turns backslashes into slashes (Windows paths).
local function normalize(path)
  return (path:gsub('\\', '/'))
end

--- is_top reports whether dir is a file system root: / or C:/.
local function is_top(dir)
  return dir == '/' or dir:match('^%a:/$') ~= nil
end

local function join(dir, name)
  if dir:sub(-1) == '/' then
    return dir .. name
  end
  return dir .. '/' .. name
end

--- dirname of a normalized absolute path; a root stays itself.
function M.dirname(path)
  local d = path:match('^(.*)/[^/]*$')
  if d == nil or d == '' then
    return '/'
  end
  if d:match('^%a:$') then
    return d .. '/'
  end
  return d
end

--- is_absolute reports whether a normalized path is absolute (/x or C:/x).
function M.is_absolute(path)
  return path:sub(1, 1) == '/' or path:match('^%a:/') ~= nil
end

--- project reports whether dir is a project by itself (see the top).
local function project(dir)
  if exists(join(dir, 'api')) then
    return true
  end
  if exists(join(dir, 'go.mod')) then
    for _, f in ipairs(M.go_server_files) do
      if exists(join(dir, f)) then
        return true
      end
    end
  end
  for _, m in ipairs(M.python_manifests) do
    if exists(join(dir, m)) then
      for _, f in ipairs(M.python_app_files) do
        if exists(join(dir, f)) then
          return true
        end
      end
    end
  end
  return false
end

--- ancestors lists the directories of file, nearest first (bounded).
local function ancestors(file)
  local out = {}
  local dir = M.dirname(file)
  for _ = 1, 256 do
    table.insert(out, dir)
    if is_top(dir) then
      break
    end
    dir = M.dirname(dir)
  end
  return out
end

--- The home directory is never a root: the server refuses it as too broad.
local function too_broad(dir)
  local home = uv.os_homedir and uv.os_homedir()
  return is_top(dir) or (home ~= nil and normalize(home) == dir)
end

--- find returns the project root of a file (an absolute path), or nil.
---@param file string
---@param markers? string[] nearest directory with any of these instead
---@return string|nil
function M.find(file, markers)
  if file == nil or file == '' then
    return nil
  end
  file = normalize(file)
  if not M.is_absolute(file) then
    return nil
  end
  local dirs = ancestors(file)
  markers = markers or M.markers
  if markers then
    for _, dir in ipairs(dirs) do
      for _, m in ipairs(markers) do
        if exists(join(dir, m)) then
          return dir
        end
      end
    end
    return nil
  end
  for _, dir in ipairs(dirs) do
    if exists(join(dir, 'vercel.json')) then
      return dir
    end
  end
  local found
  for _, dir in ipairs(dirs) do
    if not too_broad(dir) and project(dir) then
      found = dir -- keep going: the outermost wins
    end
  end
  return found
end

--- followed reports whether the server follows a file of this name.
---@param file string
---@return boolean
function M.followed(file)
  local name = normalize(file):match('[^/]*$') or ''
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
