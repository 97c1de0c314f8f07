"""Writes a TensorBoard logdir with the `tensorboard` package's own event writer (no TensorFlow), as stdin's JSON
says: per run folder, the hparams plugin's session start (and end), and scalars either as the legacy `simple_value`
(what torch's SummaryWriter writes) or as the scalars plugin's tensors (what tf.summary v2 writes). Each run's
events can be split over several event files, as a resumed job leaves them; a text summary rides along."""
import json
import sys

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2, summary_v2 as hparams_v2
from tensorboard.plugins.scalar import summary_v2 as scalar_v2
from tensorboard.plugins.text import summary_v2 as text_v2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

STATUS = {"success": api_pb2.STATUS_SUCCESS, "failure": api_pb2.STATUS_FAILURE}


def scalar(tag, value, legacy):
    if legacy:
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return scalar_v2.scalar_pb(tag, value)


spec = json.load(sys.stdin)
for folder, run in spec["runs"].items():
    writers = [EventFileWriter(f"{spec['logdir']}/{folder}", filename_suffix=f".{part}") for part in range(run["files"])]
    wall = run["start"]
    if "hparams" in run:
        writers[0].add_event(
            event_pb2.Event(wall_time=wall, step=0, summary=hparams_v2.hparams_pb(run["hparams"], start_time_secs=wall))
        )
    for index, (tag, step, value) in enumerate(run["scalars"]):
        wall += 0.5
        writer = writers[index * run["files"] // len(run["scalars"])]
        value = float(value)
        writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=scalar(tag, value, run["legacy"])))
    writers[-1].add_event(event_pb2.Event(wall_time=wall, step=0, summary=text_v2.text_pb("notes", "not a scalar")))
    if "status" in run:
        end = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=STATUS[run["status"]], end_time_secs=wall + 1)
        )
        writers[-1].add_event(
            event_pb2.Event(wall_time=wall + 1, step=0, summary=hparams_v2._summary_pb("_hparams_/session_end_info", end))
        )
    for writer in writers:
        writer.close()
print(json.dumps({"written": sorted(spec["runs"])}))
