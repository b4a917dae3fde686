-- lambdalens for Neovim: starts `lambdalens lsp` for buffers of a project,
-- keeps its code lenses fresh, shows its progress in the message area and
-- adds :LambdalensDev, :LambdalensStop, :LambdalensOpen, :LambdalensBuild,
-- :LambdalensCancel and :LambdalensInspect.
--
-- Works on Neovim 0.7.2 and uses vim.lsp.config/vim.lsp.enable (0.11+) or
-- vim.lsp.start (0.8+) when they exist. No plugin manager is needed:
--
--   require('lambdalens').setup({})

local commands = require('lambdalens.commands')
local root = require('lambdalens.root')

local M = {}

local uv = vim.uv or vim.loop
local has = function(v)
  return vim.fn.has('nvim-' .. v) == 1
end

---@class lambdalens.Options
---@field cmd? string[] the server command; default { 'lambdalens', 'lsp' } (from lsp/lambdalens.lua)
---@field path? string the lambdalens binary, shorthand for cmd = { path, 'lsp' }
---@field settings? table server settings, e.g. { codelenses = { build = false }, devListen = '127.0.0.1:4000' }
---@field on_attach? fun(client: table, bufnr: integer) called after lambdalens' own attach logic
---@field progress? boolean show $/progress in the message area; default true
---@field markers? string[] root markers: the nearest directory with one is the root; default: the project model's rules (lambdalens.root)

--- What the plugin saw, for :checkhealth, statuslines and tests.
M.state = {
  ---@type lambdalens.Options
  options = {},
  --- Progress lines shown, newest last (at most 50).
  progress = {},
  --- window/showMessage messages, newest last (at most 50).
  messages = {},
  --- The dev server URL of each root, when running.
  dev_urls = {},
  --- Set when setup() ran.
  setup = false,
}

local function push(list, item)
  table.insert(list, item)
  if #list > 50 then
    table.remove(list, 1)
  end
end

--- request calls client:request on 0.11+ and client.request before.
local function request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function get_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  local out = {}
  for _, c in ipairs(vim.lsp.get_active_clients()) do
    if (not filter.name or c.name == filter.name) and (not filter.bufnr or vim.lsp.buf_is_attached(filter.bufnr, c.id)) then
      table.insert(out, c)
    end
  end
  return out
end

--- clients returns the lambdalens clients, those of bufnr when given.
---@param bufnr? integer
function M.clients(bufnr)
  return get_clients({ name = 'lambdalens', bufnr = bufnr })
end

--- echo shows a line in the message area.
local function echo(msg, hl, history)
  vim.api.nvim_echo({ { msg, hl or 'None' } }, history or false, {})
end

--- fit cuts msg to the screen's width, so that echoing it never asks to
--- press ENTER.
local function fit(msg)
  local width = vim.o.columns - 2
  if vim.fn.strdisplaywidth(msg) > width then
    return vim.fn.strcharpart(msg, 0, width - 1) .. '…'
  end
  return msg
end

--- base_config reads lsp/lambdalens.lua from the runtimepath.
local function base_config()
  local files = vim.api.nvim_get_runtime_file('lsp/lambdalens.lua', false)
  if #files == 0 then
    error('lambdalens: lsp/lambdalens.lua is not on the runtimepath; add the editors/nvim folder to it')
  end
  return dofile(files[1])
end

-- Lenses ------------------------------------------------------------------

--- In-flight lens requests by buffer: { client_id, again }, again set when
--- a refresh was asked for meanwhile (the answer on its way may be stale
--- then). A request counts only while its client is the buffer's: when a
--- server dies, Neovim drops the handlers of its pending requests, so a
--- request of a client that is gone would keep the buffer busy for good,
--- even for the client started after it (:LspRestart).
local refreshing = {}

--- refresh asks the server for the lenses of bufnr and shows them. Unlike
--- vim.lsp.codelens.refresh() on 0.7, it works for any buffer, not only
--- the current one.
---@param bufnr integer
function M.refresh(bufnr)
  if vim.lsp.codelens.enable then
    return -- 0.12+: the built-in lens support refreshes by itself
  end
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local client = M.clients(bufnr)[1]
  if not client then
    refreshing[bufnr] = nil
    return
  end
  local busy = refreshing[bufnr]
  if busy and busy.client_id == client.id then
    busy.again = true
    return
  end
  local this = { client_id = client.id, again = false }
  refreshing[bufnr] = this
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  local sent = request(client, 'textDocument/codeLens', params, function(err, result, ctx)
    if refreshing[bufnr] == this then
      refreshing[bufnr] = nil
    end
    ctx = ctx or {}
    ctx.bufnr, ctx.client_id = bufnr, client.id
    vim.lsp.codelens.on_codelens(err, result, ctx)
    if this.again then
      M.refresh(bufnr)
    end
  end, bufnr)
  if not sent and refreshing[bufnr] == this then
    refreshing[bufnr] = nil
  end
end

--- refresh_all refreshes every buffer attached to a lambdalens client.
function M.refresh_all()
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and #M.clients(buf) > 0 then
      M.refresh(buf)
    end
  end
end

--- lenses returns the lenses shown in bufnr.
---@param bufnr? integer default: current buffer
function M.lenses(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return vim.lsp.codelens.get(bufnr)
end

-- Commands ----------------------------------------------------------------

--- buffer_client returns the lambdalens client of bufnr, else the first one.
local function buffer_client(bufnr)
  local cs = M.clients(bufnr)
  if #cs == 0 then
    cs = M.clients()
  end
  return cs[1]
end

--- project_uri is the file of bufnr when the client follows it, else the
--- client's root folder: what the commands' "uri" argument names.
local function project_uri(client, bufnr)
  if vim.lsp.buf_is_attached(bufnr, client.id) and vim.api.nvim_buf_get_name(bufnr) ~= '' then
    return vim.uri_from_bufnr(bufnr)
  end
  local dir = client.config and client.config.root_dir
  return dir and vim.uri_from_fname(dir) or nil
end

--- update_dev_state asks the server for the dev URL of bufnr's project.
local function update_dev_state(client, bufnr)
  local uri = project_uri(client, bufnr)
  request(client, 'workspace/executeCommand', { command = commands.inspect.id, arguments = { { uri = uri } } }, function(err, result)
    if err or type(result) ~= 'table' or not result.root then
      return
    end
    local url = result.devUrl
    M.state.dev_urls[result.root] = (type(url) == 'string' and url ~= '') and url or nil
  end, bufnr)
end

--- execute runs a server command for the project of bufnr (default: the
--- current buffer), then refreshes the lenses. args are merged into the
--- command's argument object, whose uri is the buffer's file.
---@param id string a command id from lua/lambdalens/commands.lua
---@param args? table
---@param on_result? fun(err: table|nil, result: any)
function M.execute(id, args, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = buffer_client(bufnr)
  if not client then
    echo('lambdalens: no language server is running for this buffer (is it in a project: a folder with vercel.json, api/, go.mod and a Go server such as main.go, or a Python manifest and an app such as main.py?)', 'WarningMsg', true)
    return
  end
  local arg = vim.tbl_extend('force', { uri = project_uri(client, bufnr) }, args or {})
  request(client, 'workspace/executeCommand', { command = id, arguments = { arg } }, function(err, result)
    if err then
      echo(string.format('lambdalens: %s: %s', id, err.message or vim.inspect(err)), 'ErrorMsg', true)
    end
    if on_result then
      on_result(err, result)
    end
    M.refresh_all()
    update_dev_state(client, bufnr)
  end, bufnr)
end

--- function_at returns the function ID of the current buffer's file, via
--- lambdalens.inspect (synchronously, at most 2 s), or nil.
local function function_at(bufnr)
  local client = buffer_client(bufnr)
  if not client then
    return nil
  end
  local file = vim.api.nvim_buf_get_name(bufnr)
  local id, done
  request(client, 'workspace/executeCommand', { command = commands.inspect.id, arguments = { { uri = project_uri(client, bufnr) } } }, function(err, result)
    done = true
    if err or type(result) ~= 'table' then
      return
    end
    for _, fn in ipairs(result.functions or {}) do
      if result.root and result.root .. '/' .. fn.file == file then
        id = fn.id
      end
    end
  end, bufnr)
  vim.wait(2000, function()
    return done
  end, 10)
  return id
end

local commands_defined = false

--- define_commands adds the :Lambdalens* commands (once).
local function define_commands()
  if commands_defined then
    return
  end
  commands_defined = true
  local cmd = vim.api.nvim_create_user_command
  cmd('LambdalensDev', function()
    M.execute(commands.devStart.id)
  end, { desc = 'lambdalens: ' .. commands.devStart.title })
  cmd('LambdalensStop', function()
    M.execute(commands.devStop.id)
  end, { desc = 'lambdalens: ' .. commands.devStop.title })
  cmd('LambdalensOpen', function(o)
    local fn = o.args ~= '' and o.args or function_at(vim.api.nvim_get_current_buf())
    M.execute(commands.devOpen.id, { ['function'] = fn })
  end, { nargs = '?', desc = 'lambdalens: ' .. commands.devOpen.title .. ' [function ID]' })
  cmd('LambdalensBuild', function(o)
    M.execute(commands.build.id, o.args ~= '' and { ['function'] = o.args } or nil)
  end, { nargs = '?', desc = 'lambdalens: ' .. commands.build.title .. ' [function ID]' })
  cmd('LambdalensCancel', function()
    M.execute(commands.buildCancel.id)
  end, { desc = 'lambdalens: ' .. commands.buildCancel.title })
  cmd('LambdalensInspect', function()
    M.execute(commands.inspect.id, nil, function(err, result)
      if not err then
        print(vim.inspect(result))
      end
    end)
  end, { desc = 'lambdalens: ' .. commands.inspect.title })
end

--- status is a statusline component: "lambdalens ● <url>" while the dev
--- server of the current buffer's project runs, "lambdalens" when attached.
function M.status()
  local bufnr = vim.api.nvim_get_current_buf()
  if #M.clients(bufnr) == 0 then
    return ''
  end
  local r = root.find(vim.api.nvim_buf_get_name(bufnr), M.state.options.markers)
  local url = r and M.state.dev_urls[r]
  return url and ('lambdalens ● ' .. url) or 'lambdalens'
end

-- Handlers ----------------------------------------------------------------

local function progress_text(v)
  local parts = { 'lambdalens:', v.title or '' }
  if v.message and v.message ~= '' then
    table.insert(parts, v.message)
  end
  if v.percentage then
    table.insert(parts, string.format('(%d%%)', v.percentage))
  end
  -- The server ends a progress with 'failed' or 'cancelled' when it did
  -- not complete: no tick then.
  if v.kind == 'end' and v.message == 'failed' then
    table.insert(parts, '✗')
  elseif v.kind == 'end' and v.message ~= 'cancelled' then
    table.insert(parts, '✓')
  end
  return table.concat(parts, ' ')
end

--- open_url opens a URL the server asks to show (dev server pages).
---@param url string
function M.open_url(url)
  if vim.ui.open then
    vim.ui.open(url)
    return
  end
  local opener = vim.fn.has('mac') == 1 and 'open' or 'xdg-open'
  if vim.fn.executable(opener) == 1 then
    vim.fn.jobstart({ opener, url }, { detach = true })
  end
end

--- handlers returns the client's handlers: the default ones wrapped (so
--- vim.lsp.status() and friends keep working), plus what older Neovims lack.
function M.handlers()
  local h = {}
  local titles = {}
  h['$/progress'] = function(err, result, ctx, config)
    local default = vim.lsp.handlers['$/progress']
    local ret = default and default(err, result, ctx, config)
    if result and type(result.value) == 'table' then
      local v = result.value
      -- report and end carry no title; keep the one begin gave.
      if v.kind == 'begin' then
        titles[result.token] = v.title
      else
        v = vim.tbl_extend('keep', v, { title = titles[result.token] })
        if v.kind == 'end' then
          titles[result.token] = nil
        end
      end
      local text = progress_text(v)
      push(M.state.progress, text)
      if M.state.options.progress ~= false then
        echo(fit(text), nil, v.kind == 'end')
      end
    end
    return ret
  end
  h['window/showMessage'] = function(err, result, ctx, config)
    if result and result.message then
      push(M.state.messages, result.message)
    end
    return vim.lsp.handlers['window/showMessage'](err, result, ctx, config)
  end
  -- Before 0.12 Neovim answers MethodNotFound; we advertise support.
  if not vim.lsp.codelens.enable then
    h['workspace/codeLens/refresh'] = function(_, _, ctx)
      vim.schedule(function()
        M.refresh_all()
        local client = vim.lsp.get_client_by_id(ctx.client_id)
        if client then
          update_dev_state(client, vim.api.nvim_get_current_buf())
        end
      end)
      return vim.NIL
    end
  end
  -- 0.7 has no window/showDocument; the server opens dev URLs with it.
  if not vim.lsp.handlers['window/showDocument'] then
    h['window/showDocument'] = function(_, result)
      result = result or {}
      local uri = result.uri or ''
      if result.external or not uri:match('^file:') then
        M.open_url(uri)
        echo('lambdalens: ' .. uri, nil, true)
      else
        vim.schedule(function()
          vim.cmd('edit ' .. vim.fn.fnameescape(vim.uri_to_fname(uri)))
        end)
      end
      return { success = true }
    end
  end
  return h
end

--- capabilities are Neovim's, plus what the plugin adds: lens refresh,
--- window/showDocument (handled above on 0.7) and progress.
function M.capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.workspace = caps.workspace or {}
  caps.workspace.codeLens = { refreshSupport = true }
  caps.window = caps.window or {}
  caps.window.showDocument = { support = true }
  caps.window.workDoneProgress = true
  return caps
end

-- Starting ----------------------------------------------------------------

--- on_attach keeps the lenses of bufnr fresh (on attach, BufEnter,
--- InsertLeave, BufWritePost and server request) and adds the commands.
---@param client table
---@param bufnr integer
function M.on_attach(client, bufnr)
  define_commands()
  local group = vim.api.nvim_create_augroup('lambdalens_buf_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.refresh(bufnr)
    end,
  })
  if vim.lsp.codelens.enable then
    vim.lsp.codelens.enable(true, { bufnr = bufnr })
  end
  M.refresh(bufnr)
  update_dev_state(client, bufnr)
  if M.state.options.on_attach then
    M.state.options.on_attach(client, bufnr)
  end
end

--- config returns the client config: lsp/lambdalens.lua with the options.
local function config(opts)
  local c = base_config()
  if opts.path then
    c.cmd = { opts.path, 'lsp' }
  end
  if opts.cmd then
    c.cmd = opts.cmd
  end
  local settings = vim.tbl_deep_extend('force', (c.settings or {}).lambdalens or {}, opts.settings or {})
  if next(settings) == nil then
    settings = vim.empty_dict()
  end
  c.settings = { lambdalens = settings }
  c.init_options = settings
  c.capabilities = M.capabilities()
  c.handlers = M.handlers()
  c.on_attach = M.on_attach
  c.name = 'lambdalens'
  return c
end

local legacy_config -- the config used by the pre-0.11 paths
local legacy_clients = {} -- root -> client id (0.7)

--- attach starts or reuses the client of bufnr's project (before 0.11).
---@param bufnr integer
function M.attach(bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr)
  if not root.followed(file) or vim.bo[bufnr].buftype ~= '' then
    return
  end
  local dir = root.find(file, M.state.options.markers)
  if not dir then
    return
  end
  local c = vim.tbl_extend('force', legacy_config, { root_dir = dir, workspace_folders = {
    { uri = vim.uri_from_fname(dir), name = dir },
  } })
  c.filetypes, c.root_markers = nil, nil
  -- vim.lsp.start honours opts.bufnr from 0.9 on (0.8 attaches the
  -- current buffer, which need not be bufnr during setup's loop).
  if vim.lsp.start and vim.fn.has('nvim-0.9') == 1 then -- 0.9 and 0.10
    vim.lsp.start(c, { bufnr = bufnr })
    return
  end
  local id = legacy_clients[dir]
  if not id or not vim.lsp.get_client_by_id(id) or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(c)
    if not id then
      echo('lambdalens: could not start ' .. table.concat(c.cmd, ' '), 'ErrorMsg', true)
      return
    end
    legacy_clients[dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

--- setup starts lambdalens for project buffers, now and later.
---@param opts? lambdalens.Options
function M.setup(opts)
  opts = opts or {}
  M.state.options = opts
  if opts.markers then
    root.markers = opts.markers
  end
  local c = config(opts)
  if vim.fn.executable(c.cmd[1]) ~= 1 then
    echo(string.format('lambdalens: %s not found; install it with: go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest (or pass path = ... to setup)', c.cmd[1]), 'WarningMsg', true)
  end
  define_commands()
  M.state.setup = true

  if vim.lsp.config and vim.lsp.enable then -- 0.11+
    vim.lsp.config('lambdalens', c)
    vim.lsp.enable('lambdalens')
    return
  end
  legacy_config = c
  local group = vim.api.nvim_create_augroup('lambdalens', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    pattern = root.patterns,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      M.attach(buf)
    end
  end
end

--- _uv is exposed for the tests' HTTP check.
M._uv = uv

return M
