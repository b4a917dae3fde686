-- The lambdalens language server for Neovim's built-in client: a
-- declarative config. On Neovim 0.11+ vim.lsp.config merges it with the
-- user's overrides (require('lambdalens').setup does that and enables it);
-- on older versions require('lambdalens') reads this file and starts the
-- client itself.
--
-- The server: `lambdalens lsp` (go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest).
--
-- On 0.11+ `vim.lsp.enable('lambdalens')` alone is enough: lenses, progress
-- and the :Lambdalens* commands come with on_attach; setup() adds options.

local lambdalens = require('lambdalens')

---@type vim.lsp.Config
return {
  cmd = { 'lambdalens', 'lsp' },
  -- Buffers are matched by file name (root_dir below), not by filetype
  -- alone: vercel.json is one JSON file among many.
  filetypes = { 'go', 'python', 'json', 'jsonc', 'gomod', 'toml', 'requirements' },
  root_dir = function(bufnr, on_dir)
    local file = vim.api.nvim_buf_get_name(bufnr)
    local root = require('lambdalens.root')
    if not root.followed(file) then
      return
    end
    local dir = root.find(file)
    if dir then
      on_dir(dir)
    end
  end,
  capabilities = lambdalens.capabilities(),
  handlers = lambdalens.handlers(),
  on_attach = lambdalens.on_attach,
  -- When Neovim quits, time for the server to stop its dev server and any
  -- build (process groups, temporary folders) before it is killed; without
  -- it Neovim 0.11 does not wait, and a build's staging folder is left in
  -- .vercel/. The server exits as soon as it is done.
  flags = { exit_timeout = 5000 },
  -- The server's settings (lsp/settings.go), sent as initializationOptions
  -- and answered to workspace/configuration ("lambdalens" section). An
  -- absent key keeps the server's default.
  settings = {
    lambdalens = {
      -- codelenses = { dev = true, open = true, build = true, buildAll = true },
      -- devListen = '127.0.0.1:3000',
      -- diagnosticsDelay = '20ms',
      -- typeCheckOnSave = true,
      -- fileWatcher = 'auto',
    },
  },
}
