package charlm.cli;

/** A command whose options include the training settings; {@link Main} adds them when it builds the command line. */
interface UsesSettings {
    SettingOptions settingOptions();
}
