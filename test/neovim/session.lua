-- Drives the built BioNER server from Neovim 0.7's own LSP client and writes what it saw as JSON for neovim.test.ts.
-- Inputs come from the environment: BIONER_NODE, BIONER_SERVER, BIONER_WORKSPACE, BIONER_RESULT, BIONER_STDERR,
-- BIONER_TIMEOUT_MS (each wait's limit), and BIONER_ENDPOINT (optional: an inference server, given to the server as
-- the bioner.inference.endpoint setting). Nothing here sleeps: every wait is vim.wait on a condition, with that limit.
local function env(name)
  return assert(os.getenv(name), name .. ' is not set')
end
local node, server, workspace = env('BIONER_NODE'), env('BIONER_SERVER'), env('BIONER_WORKSPACE')
local result_path, stderr_path = env('BIONER_RESULT'), env('BIONER_STDERR')
local timeout = tonumber(os.getenv('BIONER_TIMEOUT_MS') or '60000')
local endpoint = os.getenv('BIONER_ENDPOINT')
local bio_path, md_path, large_path = workspace .. '/errors.bio', workspace .. '/note.md', workspace .. '/large.bio'

local result = { steps = {}, publishes = {}, hovers = {} }
local exit_info -- set by on_exit: { code, signal, before_stop }
local stop_requested = false
local pass_begun = false -- a $/progress begin: the model runs over large.bio

local function step(name)
  table.insert(result.steps, name)
end

-- Waits for `condition`; gives up early once the server has exited, since nothing it owes will come then.
local function wait_for(what, condition)
  vim.wait(timeout, function() return condition() or exit_info ~= nil end, 20)
  if condition() then return end
  if exit_info then error(string.format('the server exited (code %d, signal %d) while waiting for %s', exit_info.code, exit_info.signal, what), 0) end
  error(string.format('timed out after %d ms waiting for %s', timeout, what), 0)
end

-- The same filetype mapping the README gives users; with -u NONE filetype detection is off until this line.
vim.cmd([[autocmd BufNewFile,BufRead *.bio,*.iob,*.iob2,*.bioes,*.conll setfiletype bio]])
vim.cmd('filetype on')
vim.o.hidden = true
-- WARN is the level at which Neovim logs "server_request: no handler found for" (its MethodNotFound answers).
vim.lsp.set_log_level('WARN')

local function diagnostic_summary(params)
  local items = {}
  for _, d in ipairs(params.diagnostics) do
    table.insert(items, { code = d.code, source = d.source, severity = d.severity, range = d.range })
  end
  return items
end

local client_id = vim.lsp.start_client({
  name = 'bioner',
  -- exec keeps the spawned pid the server's own, so on_exit reports node's exit code; stderr goes to a file.
  cmd = { 'sh', '-c', 'exec "$0" "$1" --stdio 2>"$2"', node, server, stderr_path },
  cmd_cwd = workspace,
  root_dir = workspace,
  settings = endpoint and { bioner = { inference = { endpoint = endpoint } } } or {},
  handlers = {
    ['$/progress'] = function(err, params, ctx, config)
      if params.value and params.value.kind == 'begin' then pass_begun = true end
      return vim.lsp.handlers['$/progress'](err, params, ctx, config)
    end,
    ['textDocument/publishDiagnostics'] = function(err, params, ctx, config)
      table.insert(result.publishes, { uri = params.uri, diagnostics = diagnostic_summary(params) })
      return vim.lsp.handlers['textDocument/publishDiagnostics'](err, params, ctx, config)
    end,
  },
  on_init = function(client)
    step('initialized')
    -- As the README's snippet does: 0.7 does not declare workspace/configuration and sends settings only when told to.
    client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
  end,
  on_exit = function(code, signal)
    exit_info = { code = code, signal = signal, before_stop = not stop_requested }
  end,
})
assert(client_id, 'vim.lsp.start_client returned nil')
local client = vim.lsp.get_client_by_id(client_id)
local pid = client.rpc.pid

vim.api.nvim_create_autocmd('FileType', {
  pattern = { 'bio', 'markdown' },
  callback = function(args)
    vim.lsp.buf_attach_client(args.buf, client_id)
  end,
})

local function request(method, params, bufnr)
  local response
  if not client.request(method, params, function(err, value) response = { err = err, result = value } end, bufnr) then
    error(method .. ': the client could not send it (stopped)', 0)
  end
  wait_for('the answer to ' .. method, function() return response ~= nil end)
  return response
end

local function publishes_for(uri)
  local list = {}
  for _, p in ipairs(result.publishes) do
    if p.uri == uri then table.insert(list, p) end
  end
  return list
end

-- A hover one character into the first occurrence of `word` (ASCII text: byte columns are UTF-16 columns).
local function hover(bufnr, word, label)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for line, text in ipairs(lines) do
    local column = text:find(word, 1, true)
    if column then
      local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = line - 1, character = column } }
      local response = request('textDocument/hover', params, bufnr)
      local contents = response.result and response.result.contents
      result.hovers[label] = { error = response.err and response.err.message, value = contents and (contents.value or contents) or vim.NIL }
      return
    end
  end
  error(word .. ' is not in ' .. label, 0)
end

-- The requests Neovim answered with MethodNotFound, as its LSP log records them.
local function unanswered_requests()
  local methods = {}
  local log = io.open(vim.lsp.get_log_path(), 'r')
  if not log then return methods end
  for line in log:lines() do
    local method = line:match('no handler found for"%s+"([^"]+)"')
    if method then table.insert(methods, method) end
  end
  log:close()
  return methods
end

local function session()
  vim.cmd('edit ' .. vim.fn.fnameescape(bio_path))
  local bio_buf = vim.api.nvim_get_current_buf()
  vim.cmd('edit ' .. vim.fn.fnameescape(md_path))
  local md_buf = vim.api.nvim_get_current_buf()
  result.filetypes = { bio = vim.bo[bio_buf].filetype, markdown = vim.bo[md_buf].filetype }
  wait_for('the initialize answer', function() return client.initialized end)

  wait_for('diagnostics of errors.bio', function() return #publishes_for(vim.uri_from_fname(bio_path)) > 0 end)
  step('diagnostics')
  -- Hovers wait on the model passes (BIO predictions, prose), after which the server used to send refreshes.
  hover(bio_buf, 'sodium', 'bio')
  hover(md_buf, 'aspirin', 'aspirin')
  hover(md_buf, 'hypertension', 'hypertension')
  step('hovers')

  -- One more round trip, so that the client's answers to anything sent with the hovers have reached the server.
  local symbols = request('textDocument/documentSymbol', { textDocument = { uri = vim.uri_from_fname(bio_path) } }, bio_buf)
  result.symbols_answered = symbols.err == nil
  result.alive = {
    client_running = not client.is_stopped(),
    not_exited = exit_info == nil,
    process_running = vim.loop.kill(pid, 0) == 0,
  }
  step('alive checked')

  -- Stopped while it works: the model's pass over a large file is under way.
  vim.cmd('edit ' .. vim.fn.fnameescape(large_path))
  wait_for('the model pass over large.bio to report progress', function() return pass_begun end)
  result.stopped_mid_pass = true
  step('pass begun')

  stop_requested = true
  local stopped_at = vim.loop.hrtime()
  client.stop()
  wait_for('the server to exit after client.stop()', function() return exit_info ~= nil end)
  result.stop_ms = (vim.loop.hrtime() - stopped_at) / 1e6
  step('exited')
end

local ok, failure = xpcall(session, debug.traceback)
if not ok then result.error = failure end
result.exit = exit_info or vim.NIL
result.unanswered_requests = unanswered_requests()
if exit_info == nil then client.stop(true) end
vim.fn.writefile({ vim.json.encode(result) }, result_path)
vim.cmd('qall!')
