--[[
rspamd.lua - the benchmark's rule entry point (RULESDIR, set with --var by
peers.sh), in place of rspamd's stock /usr/share/rspamd/rules/rspamd.lua.

The stock file loads rspamd's own few hundred regexp and lua rules; the
benchmark runs the corpus's rule set instead, so that rspamd matches the
same ~200 regexes as Portcullis. Every *.lua file of the directory
BENCH_RULES (the corpus's rspamd/ directory; an environment variable) is run, in name order;
they add their rules to config['regexp'] (the regexp module) or register
symbols themselves.
]]--

require "global_functions" ()

config['regexp'] = {}
rspamd_maps = {}

local rspamd_logger = require "rspamd_logger"
local rspamd_util = require "rspamd_util"

local dir = os.getenv('BENCH_RULES')
if not dir or dir == '' then
  rspamd_logger.errx(rspamd_config, 'bench: BENCH_RULES is not set: no content rules')
else
  local files = rspamd_util.glob(dir .. '/*.lua') or {}
  table.sort(files)
  for _, f in ipairs(files) do
    dofile(f)
  end
  local n = 0
  for _ in pairs(config['regexp']) do n = n + 1 end
  rspamd_logger.infox(rspamd_config, 'bench: %s rule files from %s, %s regexp rules',
      #files, dir, n)
end
