-- Unit test of lambdalens.root (project root detection) on real
-- directories. Run by test/run.sh:
--   PLUGIN=<editors/nvim> nvim --headless -u NONE -i NONE -n -c 'luafile test/root_test.lua'
-- Prints one line per failed case; exits 0 when all pass.

vim.opt.runtimepath:prepend(os.getenv('PLUGIN'))
local root = require('lambdalens.root')

local base = vim.fn.resolve(vim.fn.tempname())
local function touch(rel)
  local path = base .. '/' .. rel
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  vim.fn.writefile({}, path)
  return path
end

local failed = 0
local function check(name, got, want)
  if got ~= want then
    failed = failed + 1
    io.stdout:write(string.format('FAIL: %s: got %s, want %s\n', name, tostring(got), tostring(want)))
  end
end

-- A FastAPI app whose package has an api/ folder: the project is the
-- folder with the manifest and the app, not app/.
touch('fastapi/pyproject.toml')
local main = touch('fastapi/app/main.py')
local users = touch('fastapi/app/api/v1/users.py')
check('app/main.py under pyproject.toml', root.find(main), base .. '/fastapi')
check('app/api/v1/users.py', root.find(users), base .. '/fastapi')

-- vercel.json wins over a go.mod nested in api/.
touch('vercel/vercel.json')
touch('vercel/api/go.mod')
local index = touch('vercel/api/index.go')
check('api/index.go with api/go.mod', root.find(index), base .. '/vercel')

-- A Go server: go.mod beside main.go.
touch('server/go.mod')
local srv = touch('server/main.go')
check('a Go server', root.find(srv), base .. '/server')

-- A go.mod alone is no project.
touch('lib/go.mod')
check('a library', root.find(touch('lib/x.go')), nil)

-- Custom markers: the nearest directory with one.
touch('custom/marker.txt')
check('custom markers', root.find(touch('custom/a/b.go'), { 'marker.txt' }), base .. '/custom')

-- Windows paths.
check('dirname C:/Users/me', root.dirname('C:/Users/me'), 'C:/Users')
check('dirname C:/x', root.dirname('C:/x'), 'C:/')
check('C:/x is absolute', root.is_absolute('C:/x'), true)
check('relative path', root.find('api/x.go'), nil)
check('a missing Windows path', root.find('C:\\lambdalens-nope\\api\\x.go'), nil)
check('followed with backslashes', root.followed('C:\\p\\api\\x.go'), true)

vim.fn.delete(base, 'rf')
if failed > 0 then
  vim.cmd('cquit 1')
end
io.stdout:write('PASS: lambdalens.root\n')
vim.cmd('qall!')
