-- End-to-end test of the Neovim plugin against the real `lambdalens lsp`:
-- open a handler, wait for the ▶ Run dev server lens, run it through
-- Neovim's own lens runner, check the dev server over HTTP, see the lens
-- turn into the URL, build, plant a type error, stop, :checkhealth, and
-- kill the server with a lens request in flight to see a new client get
-- lenses again.
--
-- Run by test/run.sh:
--   WS=<copy of examples/go-api> LAMBDALENS_BIN=<binary> PLUGIN=<editors/nvim> \
--     nvim --headless -u NONE -i NONE -n -c 'luafile test/e2e.lua'
-- Prints one PASS line per step; exits 0 when all pass, 1 at the first failure.

local ws, bin, plugin = os.getenv('WS'), os.getenv('LAMBDALENS_BIN'), os.getenv('PLUGIN')
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function ms(since)
  return math.floor((uv.hrtime() - since) / 1e6)
end

local ll -- the plugin, once loaded
local function dump()
  if not ll then
    return
  end
  out('  progress: ' .. vim.inspect(ll.state.progress))
  out('  messages: ' .. vim.inspect(ll.state.messages))
  local ok, lenses = pcall(ll.lenses)
  if ok then
    out('  lenses: ' .. vim.inspect(vim.tbl_map(function(l)
      return l.command and l.command.title
    end, lenses)))
  end
  local log = vim.lsp.get_log_path and vim.lsp.get_log_path()
  if log then
    out('  lsp log: ' .. log)
  end
end

local function finish(ok, msg)
  out((ok and 'PASS: ' or 'FAIL: ') .. msg)
  if not ok then
    dump()
  end
  vim.cmd(ok and 'qall!' or 'cquit 1')
end

--- step runs fn, which returns nil on success or an error string.
local function step(name, fn)
  local start = uv.hrtime()
  local ok, err = pcall(fn)
  if not ok or err then
    finish(false, string.format('%s: %s', name, tostring(err)))
    error('stop') -- unreachable after cquit; guards against fallthrough
  end
  out(string.format('PASS: %s (%d ms)', name, ms(start)))
end

--- wait polls cond every 20 ms until it returns a truthy value or the
--- deadline passes; returns that value or nil.
local function wait(timeout_ms, cond)
  local got
  vim.wait(timeout_ms, function()
    got = cond()
    return got ~= nil and got ~= false
  end, 20)
  return got
end

--- lens_title returns the first lens title of buf matching pattern.
local function lens_title(buf, pattern)
  for _, l in ipairs(ll.lenses(buf)) do
    if l.command and l.command.title:match(pattern) then
      return l.command.title
    end
  end
  return nil
end

--- http_get does a plain HTTP/1.0 GET with libuv; returns the raw
--- response, or nil and an error.
local function http_get(host, port, path, timeout_ms)
  local tcp = uv.new_tcp()
  local chunks, done, failure = {}, false, nil
  tcp:connect(host, port, function(err)
    if err then
      failure, done = err, true
      return
    end
    tcp:write(string.format('GET %s HTTP/1.0\r\nHost: %s:%d\r\n\r\n', path, host, port))
    tcp:read_start(function(rerr, data)
      if rerr then
        failure, done = rerr, true
      elseif data then
        table.insert(chunks, data)
      else
        done = true
      end
    end)
  end)
  vim.wait(timeout_ms or 10000, function()
    return done
  end, 10)
  if not tcp:is_closing() then
    tcp:close()
  end
  if not done then
    return nil, 'timeout'
  end
  if failure then
    return nil, failure
  end
  return table.concat(chunks)
end

if not (ws and bin and plugin) then
  return finish(false, 'WS, LAMBDALENS_BIN and PLUGIN must be set')
end

local buf, url, client
local hello = ws .. '/api/hello.go'

step('setup', function()
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd('filetype on') -- what every real config has; -u NONE turns it off
  ll = require('lambdalens')
  ll.setup({ path = bin, settings = { devListen = '127.0.0.1:0' } })
  vim.cmd('edit ' .. vim.fn.fnameescape(hello))
  buf = vim.api.nvim_get_current_buf()
  client = wait(15000, function()
    local c = ll.clients(buf)[1]
    return c and c.initialized and c
  end)
  if not client then
    return 'no lambdalens client attached to api/hello.go'
  end
  if client.config.root_dir ~= ws then
    return string.format('root_dir %s, want %s', tostring(client.config.root_dir), ws)
  end
end)

step('lens "▶ Run dev server" appears', function()
  if not wait(30000, function()
    return lens_title(buf, 'Run dev server')
  end) then
    return 'no "Run dev server" lens'
  end
  if not lens_title(buf, '^Build for Lambda$') then
    return 'no "Build for Lambda" lens next to it'
  end
end)

step('run the lens with vim.lsp.codelens.run()', function()
  local line
  for _, l in ipairs(ll.lenses(buf)) do
    if l.command and l.command.title:match('Run dev server') then
      line = l.range.start.line
    end
  end
  -- Two lenses share the line, so Neovim asks which one: pick like a user.
  local offered = {}
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local title = opts.format_item(item)
      table.insert(offered, title)
      if title:match('Run dev server') then
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
  vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
  vim.lsp.codelens.run()
  if #offered > 0 and not vim.tbl_contains(offered, '▶ Run dev server') then
    return 'the lens picker offered ' .. vim.inspect(offered)
  end
end)

step('lens turns into the URL', function()
  local title = wait(60000, function()
    return lens_title(buf, '^● http://127%.0%.0%.1:%d+/api/hello$')
  end)
  if not title then
    return 'no "● http://127.0.0.1:<port>/api/hello" lens'
  end
  url = title:gsub('^● ', '')
  if not lens_title(buf, 'Stop dev server') then
    return 'no "■ Stop dev server" lens'
  end
end)

step('the dev server answers over HTTP', function()
  local host, port, path = url:match('^http://([%d%.]+):(%d+)(/.*)$')
  -- The first request builds the function: allow for a cold Go cache.
  local resp, err = http_get(host, tonumber(port), path .. '?name=nvim', 120000)
  if not resp then
    return 'GET ' .. url .. ': ' .. tostring(err)
  end
  if not resp:match('^HTTP/1%.%d 200') or not resp:find('Hello, nvim!', 1, true) then
    return 'GET ' .. url .. ' answered: ' .. resp
  end
end)

step('statusline shows the URL', function()
  if not wait(10000, function()
    return ll.status():find(url:match('^http://[^/]+'), 1, true)
  end) then
    return 'status() = ' .. ll.status()
  end
end)

step(':LambdalensOpen opens the function URL (window/showDocument)', function()
  local opened = {}
  ll.open_url = function(u) -- 0.7: the plugin's own showDocument handler
    table.insert(opened, u)
  end
  if vim.ui.open then -- 0.10+: Neovim's handler
    vim.ui.open = function(u)
      table.insert(opened, u)
      return { wait = function() return { code = 0 } end }
    end
  end
  vim.cmd('LambdalensOpen')
  if not wait(15000, function()
    return opened[1]
  end) then
    return 'nothing was opened'
  end
  if opened[1] ~= url then
    return 'opened ' .. opened[1] .. ', want ' .. url
  end
end)

step(':LambdalensBuild writes .vercel/output', function()
  local before = #ll.state.progress
  vim.cmd('LambdalensBuild')
  local cfg = ws .. '/.vercel/output/config.json'
  local vc = ws .. '/.vercel/output/functions/api/hello.func/.vc-config.json'
  if not wait(120000, function()
    return uv.fs_stat(cfg) and uv.fs_stat(vc) and #ll.state.progress > before and ll.state.progress[#ll.state.progress]:match('✓$')
  end) then
    return string.format('config.json: %s, hello.func/.vc-config.json: %s, progress: %s', tostring(uv.fs_stat(cfg) ~= nil), tostring(uv.fs_stat(vc) ~= nil), vim.inspect(ll.state.progress))
  end
  -- The progress was shown in the message area (the final line is kept).
  if not vim.fn.execute('messages'):find('lambdalens:', 1, true) then
    return ':messages has no lambdalens progress'
  end
end)

step('a planted type error becomes a diagnostic', function()
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local planted = false
  for i, l in ipairs(lines) do
    if l:find('greet.Hello(', 1, true) then
      lines[i] = l:gsub('greet%.Hello%(', 'greet.Helo(')
      planted = true
    end
  end
  if not planted then
    return 'greet.Hello( not found in api/hello.go'
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.cmd('silent write')
  local d = wait(60000, function()
    for _, diag in ipairs(vim.diagnostic.get(buf)) do
      if diag.message:find('Helo', 1, true) then
        return diag
      end
    end
  end)
  if not d then
    return 'no diagnostic about greet.Helo; got ' .. vim.inspect(vim.diagnostic.get(buf))
  end
  if d.severity ~= vim.diagnostic.severity.ERROR then
    return 'severity ' .. tostring(d.severity) .. ', want ERROR'
  end
end)

step(':LambdalensStop stops the dev server', function()
  vim.cmd('LambdalensStop')
  if not wait(30000, function()
    return lens_title(buf, 'Run dev server')
  end) then
    return 'the lens did not go back to "Run dev server"'
  end
  local host, port = url:match('^http://([%d%.]+):(%d+)')
  local refused = wait(10000, function()
    local resp = http_get(host, tonumber(port), '/')
    return resp == nil
  end)
  if not refused then
    return url .. ' still answers'
  end
end)

step(':checkhealth lambdalens', function()
  vim.cmd('checkhealth lambdalens')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  if not text:find('has the lsp command', 1, true) or not text:find('client %d+ for ' .. vim.pesc(ws)) then
    return 'unexpected report:\n' .. text
  end
  if text:find('ERROR', 1, true) then
    return 'the report has errors:\n' .. text
  end
end)

--- read returns a file's content, or nil.
local function read(path)
  local f = io.open(path, 'rb')
  if not f then
    return nil
  end
  local data = f:read('*a')
  f:close()
  return data
end

--- server_pid returns the pid of this Neovim's `<bin> lsp` child (from
--- /proc, Linux only), or nil.
local function server_pid()
  local self = vim.fn.getpid()
  local dir = uv.fs_scandir('/proc')
  while dir do
    local name = uv.fs_scandir_next(dir)
    if not name then
      break
    end
    if name:match('^%d+$') then
      -- pid (comm) state ppid ...: comm may hold spaces, so look after ')'.
      local ppid = (read('/proc/' .. name .. '/stat') or ''):match('%)%s+%S+%s+(%d+)')
      if tonumber(ppid) == self and read('/proc/' .. name .. '/cmdline') == bin .. '\0lsp\0' then
        return tonumber(name)
      end
    end
  end
  return nil
end

step('lenses refresh again after the server died with a lens request in flight', function()
  local pid = server_pid()
  if not pid then
    return 'no "' .. bin .. ' lsp" child process'
  end
  local old = client.id
  uv.kill(pid, 'sigstop') -- it cannot answer now
  ll.refresh(buf) -- a lens request whose answer never comes
  uv.kill(pid, 'sigkill')
  if not wait(20000, function()
    return vim.lsp.client_is_stopped(old)
  end) then
    return 'client ' .. old .. ' still running after its server was killed'
  end
  local answered = {} -- client ids whose lenses were shown
  local on_codelens = vim.lsp.codelens.on_codelens
  vim.lsp.codelens.on_codelens = function(err, result, ctx)
    table.insert(answered, ctx.client_id)
    return on_codelens(err, result, ctx)
  end
  vim.api.nvim_set_current_buf(buf) -- :checkhealth opened its own
  vim.cmd('edit') -- starts a new client, as :LspRestart would
  client = wait(15000, function()
    local c = ll.clients(buf)[1]
    return c and c.id ~= old and c.initialized and c
  end)
  local shown = client and wait(30000, function()
    return vim.tbl_contains(answered, client.id)
  end)
  vim.lsp.codelens.on_codelens = on_codelens
  if not client then
    return 'no new client attached to api/hello.go'
  end
  if not shown then
    return 'the new client was never asked for lenses: the buffer stayed marked busy by the dead one'
  end
end)

step('the server exits', function()
  local id = client.id
  vim.lsp.stop_client(id)
  if not wait(20000, function()
    return vim.lsp.client_is_stopped(id)
  end) then
    return 'client ' .. id .. ' still running'
  end
end)

local v = vim.version()
finish(true, string.format('all steps on Neovim %d.%d.%d in %d ms', v.major, v.minor, v.patch, ms(t0)))
