"""What the tests check about processes a run leaves behind: none alive, none but zombies."""

from faultlab.diagnosis import hang


def gone(pid: int) -> bool:
    """No such process, or only its zombie (the kernel keeps it until its new parent reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def assert_group_gone(pgid: int) -> None:
    """Nothing of process group ``pgid`` is running, its leader included."""
    assert hang.group_members(pgid) == [], f"processes of group {pgid} survived the run"
    assert gone(pgid)
