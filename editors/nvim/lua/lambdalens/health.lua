-- :checkhealth lambdalens

local M = {}

-- vim.health (0.9+: start/ok/...; 0.8: report_*) or the 0.7 health module.
local h = vim.health or require('health')
local start = h.start or h.report_start
local ok = h.ok or h.report_ok
local warn = h.warn or h.report_warn
local error = h.error or h.report_error
local info = h.info or h.report_info

function M.check()
  start('lambdalens')
  local v = vim.version()
  info(string.format('Neovim %d.%d.%d; %s', v.major, v.minor, v.patch,
    (vim.lsp.config and vim.lsp.enable) and 'using vim.lsp.config/vim.lsp.enable'
      or (vim.lsp.start and 'using vim.lsp.start' or 'using vim.lsp.start_client')))

  local ll = require('lambdalens')
  local enabled_alone = not ll.state.setup and vim.lsp.enable and vim.lsp.get_clients
    and #vim.lsp.get_clients({ name = 'lambdalens' }) > 0
  if enabled_alone then
    ok("started without setup() (vim.lsp.enable('lambdalens')); setup() adds options")
  elseif not ll.state.setup then
    warn("require('lambdalens').setup({}) has not been called", { "Add it to your init.lua, or vim.lsp.enable('lambdalens') on Neovim 0.11+" })
  else
    ok('setup() was called')
  end

  local files = vim.api.nvim_get_runtime_file('lsp/lambdalens.lua', false)
  if #files == 0 then
    error('lsp/lambdalens.lua is not on the runtimepath', { 'Add the editors/nvim folder of lambdalens to runtimepath' })
    return
  end
  ok('config: ' .. files[1])

  local cmd = dofile(files[1]).cmd
  local opts = ll.state.options or {}
  if opts.cmd then
    cmd = opts.cmd
  elseif opts.path then
    cmd = { opts.path, 'lsp' }
  end
  local bin = cmd[1]
  if vim.fn.executable(bin) ~= 1 then
    error(bin .. ' is not executable or not on PATH', {
      'go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest',
      "or require('lambdalens').setup({ path = '/path/to/lambdalens' })",
    })
  else
    local out = vim.fn.system({ bin, 'version' })
    if vim.v.shell_error == 0 then
      ok(string.format('%s: %s', vim.fn.exepath(bin), vim.trim(out)))
    else
      warn(string.format('%s version failed: %s', bin, vim.trim(out)))
    end
    vim.fn.system({ bin, 'lsp', '--help' })
    if vim.v.shell_error == 0 then
      ok(bin .. ' has the lsp command')
    else
      error(bin .. ' has no lsp command; it is too old', { 'go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest' })
    end
  end

  local clients = ll.clients()
  if #clients == 0 then
    info('no lambdalens client is running (open a file of a project: a folder with vercel.json, api/, go.mod and a Go server such as main.go, or a Python manifest and an app such as main.py)')
  end
  for _, c in ipairs(clients) do
    local dir = c.config and c.config.root_dir or '?'
    local url = ll.state.dev_urls[dir]
    ok(string.format('client %d for %s%s', c.id, dir, url and (', dev server at ' .. url) or ''))
  end
end

return M
