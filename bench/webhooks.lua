-- wrk script for bench/webhooks.sh: POSTs GitLab's published push payload
-- with a unique Idempotency-Key per request, so every request is a new
-- delivery that the intake must store and queue (not a cheap duplicate).
local counter = 0
thread_id = 0  -- global: setup() overrides it per thread
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("WEBHOOK_BODY"), "rb"))
  body = file:read("*a")
  file:close()
  secret = os.getenv("WEBHOOK_SECRET")
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Gitlab-Event"] = "Push Hook",
    ["X-Gitlab-Token"] = secret,
    ["Idempotency-Key"] = string.format("bench-%d-%d", thread_id, counter),
  }
  return wrk.format("POST", nil, headers, body)
end
