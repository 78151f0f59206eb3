"""`fmaplayer` with no subcommand: the window."""


def test_gui_options_and_paths_without_the_subcommand_open_the_window():
    from fmaplayer.cli import _default_to_gui

    assert _default_to_gui(["--folder", "/m"]) == ["gui", "--folder", "/m"]
    assert _default_to_gui(["--verbose", "song.flac"]) == ["--verbose", "gui", "song.flac"]
    assert _default_to_gui(["scan", "/m"]) == ["scan", "/m"]
    assert _default_to_gui(["--version"]) == ["--version"] and _default_to_gui([]) == []
